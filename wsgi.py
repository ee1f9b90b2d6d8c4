"""The one module-level app, for ``flask --app wsgi`` and WSGI servers."""

from outreach import create_app

app = create_app()
