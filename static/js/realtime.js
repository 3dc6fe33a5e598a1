/* Live notifications: the socket of notifications.consumers (protocol: docs/api.md,
   "Live notifications"). Signed-in pages carry an element with data-realtime (the
   header's bell, the admin's meta tag): its data-last-id is where the catch-up starts,
   data-socket an address of a socket server elsewhere (empty: this site's /ws/).

   What it does with what arrives:
   - the bell's count and drop-down follow every notification and every read;
   - an order page (data-live-order) reloads its live parts when a notification leads to it;
   - the admin shows a toast for the kinds named in data-toasts (a new order).
   Other scripts may listen to the "shop:notification" and "shop:unread" events.
   Without this script, or without the socket, every page still shows what it rendered. */
(function () {
  "use strict";
  // Django's JavaScript catalogue (/jsi18n/, loaded by the page) translates; English without it.
  var gettext = window.gettext || function (text) { return text; };
  var ngettext = window.ngettext || function (one, many, count) { return count === 1 ? one : many; };
  var interpolate = window.interpolate || function (text, values) {
    var index = 0;
    return text.replace(/%s/g, function () { return String(values[index++]); });
  };
  var config = document.querySelector("[data-realtime]");
  if (!config || !window.WebSocket) { return; }

  // No data-last-id (the admin): only what comes from now on, no catch-up.
  var catchUp = (config.getAttribute("data-last-id") || "") !== "";
  var lastId = parseInt(config.getAttribute("data-last-id") || "0", 10) || 0;
  var toastKinds = (config.getAttribute("data-toasts") || "").split(/\s+/).filter(Boolean);
  var bell = document.querySelector(".notification-menu");
  var retry = 0;
  var socket = null;
  var stopped = false;

  function socketUrl() {
    var base = config.getAttribute("data-socket");
    if (!base) {
      base = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/notifications/";
    }
    if (!catchUp) { return base; }
    return base + (base.indexOf("?") < 0 ? "?" : "&") + "since=" + lastId;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrftoken"]');
    if (meta) { return meta.getAttribute("content"); }
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function emit(name, detail) {
    document.dispatchEvent(new CustomEvent(name, { detail: detail }));
  }

  // --- The bell -----------------------------------------------------------------------
  function showUnread(unread) {
    config.setAttribute("data-unread", String(unread));
    if (!bell) { return; }
    var badge = bell.querySelector(".notification-count");
    var summary = bell.querySelector(".notification-bell");
    var line = bell.querySelector(".notification-dropdown-unread");
    if (badge) { badge.textContent = String(unread); badge.hidden = unread < 1; }
    if (summary) {
      summary.setAttribute("aria-label", unread
        ? interpolate(ngettext("Notifications, %s unread", "Notifications, %s unread", unread), [unread])
        : gettext("Notifications"));
    }
    if (line) { line.textContent = interpolate(ngettext("%s unread", "%s unread", unread), [unread]); }
    if (unread < 1) {
      Array.prototype.forEach.call(bell.querySelectorAll(".notification-menu-item.notification-unread"), function (item) {
        item.classList.remove("notification-unread");
      });
    }
  }

  function addToBell(notification) {
    if (!bell) { return; }
    var list = bell.querySelector(".notification-menu-list");
    if (!list || list.querySelector('[data-id="' + notification.id + '"]')) { return; }
    var empty = list.querySelector(".notification-menu-empty");
    if (empty) { empty.remove(); }
    var item = document.createElement("li");
    item.className = "notification-menu-item" + (notification.read_at ? "" : " notification-unread");
    item.setAttribute("data-id", String(notification.id));
    var form = document.createElement("form");
    form.method = "post";
    form.action = "/notifications/" + notification.id + "/open/";
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrfmiddlewaretoken";
    token.value = csrfToken();
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "link-button notification-title";
    button.textContent = notification.title;
    form.appendChild(token);
    form.appendChild(button);
    var when = document.createElement("time");
    when.className = "muted small";
    when.dateTime = notification.created_at;
    when.textContent = new Date(notification.created_at).toLocaleString(document.documentElement.lang || [], { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    item.appendChild(form);
    item.appendChild(when);
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 5) { list.removeChild(list.lastChild); }
  }

  // --- The order page ------------------------------------------------------------------
  var order = document.querySelector("[data-live-order]");
  var refreshing = null;
  var again = false;

  function leadsHere(notification) {
    if (!order || !notification.link) { return false; }
    try {
      return new URL(notification.link, location.href).pathname === order.getAttribute("data-live-order");
    } catch (error) {
      return false;
    }
  }

  function refreshOrder() {
    // One at a time; a notification that comes during a reload asks for one more after
    // it (that reload may have read the page before the change).
    if (refreshing) { again = true; return refreshing; }
    refreshing = fetch(location.pathname, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        Array.prototype.forEach.call(document.querySelectorAll("[data-live]"), function (part) {
          var replacement = fresh.getElementById(part.id);
          if (replacement) { part.innerHTML = replacement.innerHTML; }
        });
        emit("shop:order-refreshed", { path: location.pathname });
      })
      .catch(function () { /* the page stays as rendered; a reload shows the change */ })
      .then(function () {
        refreshing = null;
        if (again) { again = false; refreshOrder(); }
      });
    return refreshing;
  }

  // --- Toasts (the admin) ---------------------------------------------------------------
  function toast(notification) {
    var box = document.createElement("div");
    box.className = "live-toast";
    box.setAttribute("role", "status");
    var title = document.createElement("strong");
    title.textContent = notification.title;
    box.appendChild(title);
    if (notification.body) {
      var body = document.createElement("p");
      body.textContent = notification.body;
      box.appendChild(body);
    }
    if (notification.link) {
      var link = document.createElement("a");
      link.href = notification.link;
      link.textContent = gettext("Open");
      box.appendChild(link);
    }
    document.body.appendChild(box);
    setTimeout(function () { box.remove(); }, 10000);
  }

  // --- The socket ------------------------------------------------------------------------
  function received(message) {
    if (message.type === "ready" || message.type === "unread") {
      if (message.type === "ready") { catchUp = true; }  // from here on, reconnects catch up
      if (message.last_id && message.last_id > lastId) { lastId = message.last_id; }
      showUnread(message.unread);
      emit("shop:unread", { unread: message.unread });
    } else if (message.type === "notification") {
      var notification = message.notification;
      if (notification.id > lastId) { lastId = notification.id; }
      config.setAttribute("data-last-id", String(lastId));
      addToBell(notification);
      showUnread(message.unread);
      if (leadsHere(notification)) { refreshOrder(); }
      if (toastKinds.indexOf(notification.kind) >= 0 && !message.replay) { toast(notification); }
      emit("shop:notification", notification);
    }
  }

  function connect() {
    if (stopped) { return; }
    socket = new WebSocket(socketUrl());
    socket.addEventListener("open", function () {
      retry = 0;
      config.setAttribute("data-realtime", "open");
    });
    socket.addEventListener("message", function (event) {
      try { received(JSON.parse(event.data)); } catch (error) { /* not ours */ }
    });
    socket.addEventListener("close", function (event) {
      config.setAttribute("data-realtime", "closed");
      // 4400, 4401, 4404 and 4408: trying again would end the same way (signed out, no
      // socket there, a session the socket server does not take).
      if ([4400, 4401, 4404, 4408].indexOf(event.code) >= 0 || stopped) { return; }
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, Math.min(30000, 500 * Math.pow(2, retry)) * (0.5 + Math.random() / 2));
    });
  }

  window.addEventListener("pagehide", function () { stopped = true; if (socket) { socket.close(); } });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { stopped = false; connect(); }  // back from the back-forward cache
  });
  connect();
})();
