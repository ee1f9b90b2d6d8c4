/* Jemput Bola field page: record visit outcomes, also with no signal.
 *
 * Each outcome gets a client id (crypto.randomUUID) when the lead taps "Simpan hasil", is put
 * in an IndexedDB queue (idb-keyval, served by the app from npm) and sent to POST
 * /lapangan/hasil when there is a connection: at once, on the `online` event, on load and on a
 * timer. The server stores an outcome once per client id, so a resend never records twice.
 * A 401 (session expired) keeps the queue and asks the lead to sign in again. Whatever stops
 * the queue (expired session, no server, a server error, a refused outcome) is said in the
 * sticky bar at the top of the screen, in view wherever the lead has scrolled. Signing out
 * clears the queue, the sent list and the service worker's cached copy of the route.
 * Plain ES2017, no build step.
 */
(function () {
  "use strict";

  const root = document.getElementById("lapangan");
  const kv = window.idbKeyval;
  if (!root || !kv) return;

  const queue = kv.createStore("jb-lapangan-antrean", "hasil"); // client_id -> queued outcome
  const sent = kv.createStore("jb-lapangan-terkirim", "hasil"); // stop_id -> stored outcome
  const RETRY_MS = 20000;
  let flushing = false;
  let failure = ""; // why the running flush stopped with outcomes left ("" = it did not)

  // --- texts (Indonesian, from the template) -------------------------------------------------
  const texts = {};
  const tpl = document.getElementById("tpl-labels");
  if (tpl) {
    tpl.content.querySelectorAll("[data-k]").forEach((el) => {
      texts[el.dataset.k] = el.textContent.trim();
    });
  }
  // t("unsent", 2) fills {n}; t("rejected", { n: 3, code: "JB-F003" }) fills each {name}.
  function t(key, values) {
    const map = values !== null && typeof values === "object" ? values : { n: values };
    let text = texts[key] || key;
    Object.keys(map).forEach((name) => {
      text = text.split("{" + name + "}").join(map[name] === undefined ? "" : String(map[name]));
    });
    return text;
  }

  const $ = (sel, el) => (el || document).querySelector(sel);
  const $$ = (sel, el) => Array.from((el || document).querySelectorAll(sel));

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  function stopEl(stopId) {
    return $('[data-stop="' + Number(stopId) + '"]');
  }

  // --- showing state ---------------------------------------------------------------------------
  function setNet() {
    const net = $("[data-net]");
    const online = navigator.onLine;
    net.textContent = online ? t("online") : t("offline");
    net.classList.toggle("is-offline", !online);
    if (root.dataset.offlineReady === "1") net.textContent += " · " + t("saved");
  }

  async function updateCount() {
    let n = 0;
    try {
      n = (await kv.keys(queue)).length;
    } catch (err) {
      n = 0;
    }
    const box = $("[data-unsent]");
    box.textContent = t("unsent", n);
    box.hidden = n === 0;
    // With the session expired only signing in helps: "Masuk lagi" stands there instead.
    $("[data-send-now]").hidden = n === 0 || !navigator.onLine || root.dataset.sessionState === "expired";
    root.dataset.queueCount = String(n);
    const done = $("[data-done]");
    if (done) done.textContent = String($$(".stop.is-done").length);
    markNext();
  }

  // The first stop without an outcome is where the team goes next.
  function markNext() {
    const next = root.dataset.today === "1" ? $(".stop:not(.is-done)") : null;
    $$(".stop.is-next").forEach((el) => {
      if (el !== next) el.classList.remove("is-next");
    });
    if (next) next.classList.add("is-next");
  }

  function sessionExpired(expired) {
    $("[data-session-expired]").hidden = !expired;
    root.dataset.sessionState = expired ? "expired" : "ok";
  }

  // Why the queue did not go out, in the sticky bar ("" hides it).
  function showFailure(message) {
    const box = $("[data-send-failed]");
    box.textContent = message || "";
    box.hidden = !message;
  }

  // A refused outcome, named as the lead sees it: the stop's number on the route and its code.
  function showRejected(el, reason) {
    const line = document.createElement("p");
    if (el) {
      line.dataset.stop = el.dataset.stop;
      // The tracking code must not break at its hyphen ("JB-" / "F006").
      const parts = t("rejected", { n: el.dataset.seq }).split("{code}");
      const code = document.createElement("span");
      code.className = "nowrap";
      code.textContent = el.dataset.code;
      const link = document.createElement("a");
      link.href = "#" + el.id;
      link.textContent = t("show");
      line.append(parts[0], code, parts.slice(1).join(el.dataset.code) + " " + reason + " ", link);
    } else {
      line.textContent = t("rejected_other") + " " + reason;
    }
    const box = $("[data-rejected]");
    $("[data-rejected-text]", box).appendChild(line);
    box.hidden = false;
  }


  // stopId: only that stop's lines (its outcome went through after all); none: all of them.
  function clearRejected(stopId) {
    const box = $("[data-rejected]");
    const list = $("[data-rejected-text]", box);
    $$("p", list).forEach((line) => {
      if (typeof stopId !== "string" || line.dataset.stop === stopId) line.remove();
    });
    box.hidden = !list.children.length;
  }

  function summaryOf(o, prefix) {
    let text = (prefix || t("result")) + " " + (o.label || o.outcome);
    if (o.outcome === "selesai" && o.persons_served != null) {
      text += " · " + t("persons", o.persons_served);
      if (o.cards_printed != null) text += ", " + t("cards", o.cards_printed);
    }
    return text;
  }

  // state: "pending" (on the phone), "sent", "conflict" (someone else recorded it before: `o`
  // is theirs and `mine` the label this phone had, which was not stored)
  function showResult(el, o, state, mine) {
    if (!el) return;
    const box = $("[data-result]", el);
    box.textContent = "";
    const p = document.createElement("p");
    const strong = document.createElement("strong");
    strong.textContent = summaryOf(o, state === "conflict" ? t("conflict") : "");
    p.appendChild(strong);
    box.appendChild(p);
    if (o.note) {
      const note = document.createElement("p");
      note.className = "muted";
      note.textContent = o.note;
      box.appendChild(note);
    }
    const status = document.createElement("p");
    status.className = "state state-" + state;
    if (state === "pending") status.textContent = t("pending");
    else if (state === "conflict") status.textContent = t("conflict_mine", { label: mine || "-" });
    else status.textContent = t("sent");
    box.appendChild(status);
    box.hidden = false;
    const rec = $("[data-record]", el);
    if (rec) {
      rec.open = false;
      rec.hidden = true;
    }
    el.classList.add("is-done");
    el.classList.toggle("is-pending", state === "pending");
    el.dataset.local = state;
  }

  function reopen(el, message) {
    if (!el) return;
    el.classList.remove("is-done", "is-pending");
    delete el.dataset.local;
    $("[data-result]", el).hidden = true;
    const rec = $("[data-record]", el);
    if (!rec) return;
    rec.hidden = false;
    rec.open = true;
    const form = $("form", rec);
    delete form.dataset.busy;
    $("button[type=submit]", form).disabled = false;
    formError(form, message);
  }

  function formError(form, message) {
    const box = $("[data-error]", form);
    box.textContent = message || "";
    box.hidden = !message;
  }

  // --- the outcome form ------------------------------------------------------------------------
  function toggleSections(form) {
    const checked = $("input[name=outcome]:checked", form);
    const value = checked ? checked.value : "";
    $$("[data-when]", form).forEach((sec) => {
      sec.hidden = sec.dataset.when !== value;
    });
  }

  function countAttendees(form) {
    const boxes = $$("input[name=attendees]", form);
    if (!boxes.length) return;
    const n = boxes.filter((b) => b.checked).length;
    form.elements.persons_served.value = String(n);
    form.elements.cards_printed.value = String(Number(form.dataset.cards) > 0 ? n : 0);
  }

  // A count typed in a number field: null when empty, NaN when not a whole number ("1.5" must
  // not quietly become 1; a number field also reports "1,5" or "abc" as bad input).
  function countValue(input) {
    if (!input) return null;
    if (input.validity && input.validity.badInput) return Number.NaN;
    const raw = (input.value || "").trim();
    if (raw === "") return null;
    return /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  }

  function readForm(form, stopId) {
    const checked = $("input[name=outcome]:checked", form);
    if (!checked) return { error: t("choose") };
    const outcome = checked.value;
    const label = checked.parentElement.textContent.trim();
    const payload = {
      client_id: uuid(),
      stop_id: Number(stopId),
      outcome: outcome,
      persons_served: null,
      cards_printed: null,
      attendees: [],
      note: form.elements.note.value.trim(),
      recorded_at: new Date().toISOString(),
      reschedule: null,
    };
    if (outcome === "selesai") {
      payload.attendees = $$("input[name=attendees]:checked", form).map((b) => Number(b.value));
      const persons = form.elements.persons_served;
      const cards = form.elements.cards_printed;
      payload.persons_served = countValue(persons);
      payload.cards_printed = countValue(cards);
      if (Number.isNaN(payload.persons_served)) return { error: t("persons_whole"), field: persons };
      if (payload.persons_served === null || payload.persons_served < 1) {
        return { error: t("persons_min"), field: persons };
      }
      if (Number.isNaN(payload.cards_printed)) return { error: t("cards_whole"), field: cards };
      if (payload.cards_printed !== null && payload.cards_printed < 0) return { error: t("cards_min"), field: cards };
      if (payload.cards_printed !== null && payload.cards_printed > payload.persons_served) {
        return { error: t("cards_max"), field: cards };
      }
    } else if (outcome === "jadwal_ulang") {
      const r = {
        date: form.elements.reschedule_date.value,
        start: form.elements.reschedule_start.value,
        end: form.elements.reschedule_end.value,
      };
      if (r.start && r.end && r.end <= r.start) return { error: t("time_order") };
      Object.keys(r).forEach((k) => {
        if (!r[k]) delete r[k];
      });
      payload.reschedule = Object.keys(r).length ? r : null;
    }
    const summary = {
      outcome: outcome,
      label: label,
      persons_served: payload.persons_served,
      cards_printed: payload.cards_printed,
      note: payload.note,
    };
    return { payload: payload, summary: summary };
  }

  async function onSubmit(ev) {
    ev.preventDefault();
    const form = ev.currentTarget;
    if (form.dataset.busy) return; // a double tap records once
    const el = form.closest("[data-stop]");
    const read = readForm(form, el.dataset.stop);
    if (read.error) {
      formError(form, read.error);
      if (read.field) read.field.focus();
      return;
    }
    formError(form, "");
    form.dataset.busy = "1";
    $("button[type=submit]", form).disabled = true;
    const item = {
      client_id: read.payload.client_id,
      stop_id: read.payload.stop_id,
      payload: read.payload,
      summary: read.summary,
      queued_at: Date.now(),
    };
    try {
      await kv.set(item.client_id, item, queue);
    } catch (err) {
      // No IndexedDB (private mode?): send it now, it is lost only if that fails.
      showResult(el, item.summary, "pending");
      await sendOne(item, false);
      await updateCount();
      return;
    }
    showResult(el, item.summary, "pending");
    await updateCount();
    flush();
  }

  // --- sending ---------------------------------------------------------------------------------
  function csrfToken() {
    const meta = $('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  async function freshToken() {
    const resp = await fetch(root.dataset.sessionUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store",
      redirect: "manual",
    });
    if (resp.status !== 200) return resp.status === 401 || resp.type === "opaqueredirect" ? "expired" : null;
    const body = await resp.json();
    $('meta[name="csrf-token"]').content = body.csrf_token;
    return body.csrf_token;
  }

  function post(payload) {
    return fetch(root.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify(payload),
    });
  }

  async function forget(item) {
    try {
      await kv.del(item.client_id, queue);
    } catch (err) {
      /* nothing queued */
    }
  }

  // state "conflict": `o` is someone else's outcome; `mine` the label this phone had.
  async function remember(o, state, mine) {
    try {
      const kept = Object.assign({}, o, { local_state: state || "sent", mine: mine || "" });
      await kv.set(String(o.stop_id), kept, sent);
    } catch (err) {
      /* only for showing a stale cached page right */
    }
  }

  // Returns "ok" (go on with the next), or "stop" (keep the rest for later; `failure` says why,
  // unless the session expired, which has its own message).
  async function sendOne(item, retried) {
    let resp;
    try {
      resp = await post(item.payload);
    } catch (err) {
      failure = t("fail_network");
      return "stop"; // no connection: keep it
    }
    let body = {};
    try {
      body = await resp.json();
    } catch (err) {
      body = {};
    }
    if (resp.type === "opaqueredirect" || resp.status === 401) {
      sessionExpired(true);
      return "stop";
    }
    sessionExpired(false);
    const el = stopEl(item.stop_id);
    if (resp.status === 200 || resp.status === 201 || resp.status === 409) clearRejected(String(item.stop_id));
    if (resp.status === 200 || resp.status === 201) {
      await forget(item);
      await remember(body);
      showResult(el, body, "sent");
      return "ok";
    }
    if (resp.status === 409) {
      // Someone else (another phone, the coordinator) recorded this stop first: theirs stands.
      const mine = item.summary && item.summary.label;
      await forget(item);
      await remember(body, "conflict", mine);
      showResult(el, body, "conflict", mine);
      return "ok";
    }
    if (resp.status === 400 && body.code === "csrf" && !retried) {
      const token = await freshToken().catch(() => null);
      if (token === "expired") {
        sessionExpired(true);
        return "stop";
      }
      if (token) return sendOne(item, true);
      failure = t("fail_prefix") + " " + (body.error || resp.status);
      return "stop";
    }
    if (resp.status === 400 || resp.status === 404) {
      // The server will never take it as it is: give the form back with the reason.
      await forget(item);
      showRejected(el, body.error || String(resp.status));
      reopen(el, body.error || "");
      return "ok";
    }
    // 403, 429, 5xx: try again later.
    if (resp.status === 403) failure = t("forbidden");
    else if (resp.status === 429) failure = t("fail_busy");
    else if (body.error) failure = t("fail_prefix") + " " + body.error;
    else failure = t("fail_server", resp.status);
    return "stop";
  }

  // Send the queue, oldest first. `manual`: the lead tapped "Kirim sekarang", who is told
  // even why nothing could be tried.
  async function flush(manual) {
    if (flushing) return;
    if (!navigator.onLine) {
      if (manual === true) showFailure(t("fail_offline"));
      return;
    }
    flushing = true;
    failure = "";
    const button = $("[data-send-now]");
    const label = button.textContent;
    if (manual === true) {
      button.disabled = true;
      button.textContent = t("sending");
    }
    try {
      const items = (await kv.values(queue)).sort((a, b) => a.queued_at - b.queued_at);
      for (const item of items) {
        if ((await sendOne(item, false)) === "stop") break;
      }
    } catch (err) {
      /* IndexedDB unavailable: nothing queued */
    } finally {
      flushing = false;
      if (manual === true) {
        button.disabled = false;
        button.textContent = label;
      }
      showFailure(failure);
      await updateCount();
    }
  }

  // --- what the phone holds, over a cached (possibly stale) page -------------------------------
  async function restore() {
    try {
      for (const [key, o] of await kv.entries(sent)) {
        const el = stopEl(o.stop_id);
        if (!el) continue;
        if (el.classList.contains("is-done") && !el.dataset.local) await kv.del(key, sent);
        else showResult(el, o, o.local_state === "conflict" ? "conflict" : "sent", o.mine);
      }
      for (const item of await kv.values(queue)) showResult(stopEl(item.stop_id), item.summary, "pending");
    } catch (err) {
      /* no IndexedDB */
    }
  }

  // --- signing out wipes the phone -------------------------------------------------------------
  async function wipe() {
    try {
      await kv.clear(queue);
      await kv.clear(sent);
    } catch (err) {
      /* nothing stored */
    }
    if (window.caches) {
      for (const name of await caches.keys()) {
        if (name.startsWith("jb-lapangan-")) await caches.delete(name);
      }
    }
    if (navigator.serviceWorker) {
      for (const reg of await navigator.serviceWorker.getRegistrations()) {
        if (new URL(reg.scope).pathname === root.dataset.scope) await reg.unregister();
      }
    }
  }

  function guardLogout() {
    const form = $("form[data-logout]");
    if (!form) return;
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      let n = 0;
      try {
        n = (await kv.keys(queue)).length;
      } catch (err) {
        n = 0;
      }
      if (n && !window.confirm(t("logout_confirm", n))) return;
      await wipe().catch(() => null);
      form.submit(); // does not fire "submit" again
    });
  }

  // --- the service worker keeps the page for use without signal ----------------------------------
  function pageUrls() {
    const urls = $$("link[rel=stylesheet], link[rel=manifest], link[rel=icon], link[rel=apple-touch-icon], script[src]")
      .map((el) => el.href || el.src)
      .filter(Boolean);
    urls.push(location.href);
    return urls;
  }

  async function registerWorker() {
    if (!window.isSecureContext || !("serviceWorker" in navigator)) {
      // Service workers need HTTPS (or localhost): plain http on a phone keeps no offline copy.
      $("[data-insecure]").hidden = false;
      return;
    }
    try {
      await navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.scope });
      const reg = await navigator.serviceWorker.ready;
      const channel = new MessageChannel();
      channel.port1.onmessage = (ev) => {
        if (ev.data && ev.data.ok) {
          root.dataset.offlineReady = "1";
          setNet();
        }
      };
      reg.active.postMessage({ type: "precache", urls: pageUrls() }, [channel.port2]);
    } catch (err) {
      /* the page still works online */
    }
  }

  // --- wiring ----------------------------------------------------------------------------------
  $$("[data-outcome-form]").forEach((form) => {
    form.addEventListener("submit", onSubmit);
    form.addEventListener("change", (ev) => {
      if (ev.target.name === "outcome") toggleSections(form);
      if (ev.target.name === "attendees") countAttendees(form);
    });
    const all = $("[data-all-came]", form);
    if (all) {
      all.addEventListener("click", () => {
        $$("input[name=attendees]", form).forEach((b) => {
          b.checked = true;
        });
        countAttendees(form);
      });
    }
  });
  $("[data-send-now]").addEventListener("click", () => flush(true));
  $("[data-rejected-close]").addEventListener("click", () => clearRejected());
  window.addEventListener("online", () => {
    setNet();
    flush();
  });
  window.addEventListener("offline", () => {
    setNet();
    showFailure(""); // the bar says "no signal" itself
    updateCount();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") flush();
  });
  window.setInterval(flush, RETRY_MS);
  guardLogout();
  setNet();
  restore()
    .then(updateCount)
    .then(() => {
      root.dataset.ready = "1";
      if (window.performance && performance.mark) performance.mark("jb-field-ready");
      return flush();
    });
  registerWorker();
})();
