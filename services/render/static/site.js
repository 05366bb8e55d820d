/* Sinmun's one script: same-origin calls only (the site's own /api/... endpoints). */
(function () {
  "use strict";

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)sinmun_csrf=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function api(method, url, body) {
    var headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    var token = csrfToken();
    if (token) headers["X-CSRF-Token"] = token;
    return fetch(url, {
      method: method, headers: headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      if (response.status === 204) return { status: 204, body: {} };
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { status: response.status, body: json };
      });
    });
  }

  var MESSAGES = {
    email_taken: "이미 가입된 이메일입니다.",
    nickname_taken: "이미 쓰이는 닉네임입니다.",
    weak_password: "비밀번호가 너무 쉽습니다. 더 길고 추측하기 어렵게 정해 주세요.",
    invalid_credentials: "이메일(닉네임) 또는 비밀번호가 올바르지 않습니다.",
    too_many_failures: "로그인에 여러 번 실패했습니다. 잠시 후 다시 시도해 주세요.",
    csrf_failed: "보안 토큰이 맞지 않습니다. 다시 로그인해 주세요.",
    unauthorized: "로그인이 필요합니다.",
    forbidden: "권한이 없습니다.",
    own_post: "자신의 글에는 할 수 없습니다.",
    already_voted: "이미 추천한 글입니다.",
    already_reported: "이미 신고한 글입니다.",
    rate_limited: "너무 자주 쓰고 있습니다. 잠시 후 다시 시도해 주세요.",
    duplicate_post: "같은 글을 방금 올렸습니다.",
    spam: "스팸으로 보이는 내용은 올릴 수 없습니다.",
    spam_detected: "스팸으로 보이는 내용은 올릴 수 없습니다.",
    blocked_content: "올릴 수 없는 낱말이나 링크가 들어 있습니다.",
    locked: "댓글이 달린 글은 고칠 수 없습니다.",
    invalid_request: "입력한 내용을 확인해 주세요.",
    invalid_submission: "입력한 내용을 확인해 주세요."
  };

  function messageOf(result) {
    var error = (result.body && result.body.error) || {};
    if (result.status === 429 && !MESSAGES[error.code]) return MESSAGES.rate_limited;
    return MESSAGES[error.code] || error.message || "요청을 처리하지 못했습니다. (" + result.status + ")";
  }

  function setStatus(el, text, kind) {
    if (!el) return;
    el.textContent = text;
    el.className = el.className.replace(/\s*(ok|error)\b/g, "") + (kind ? " " + kind : "");
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach(function (el) { el.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  function fieldError(form, name, text) {
    var input = form.querySelector('[name="' + name + '"]') ||
      form.querySelector('[data-paragraphs="' + name + '"]');
    var slot = form.querySelector("#" + name + "-error");
    if (input) input.setAttribute("aria-invalid", "true");
    if (slot) { slot.textContent = text; return true; }
    return false;
  }

  function showDetails(form, result) {
    var details = (result.body && result.body.error && result.body.error.details) || [];
    if (!Array.isArray(details)) return;
    details.forEach(function (d) {
      if (!d || !d.field) return;
      var name = String(d.field).split(".")[0];
      fieldError(form, name, d.message || "확인해 주세요.");
    });
  }

  function escapeHtml(text) {
    return text.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function toParagraphs(text) {
    return text.split(/\n\s*\n/).map(function (b) { return b.trim(); }).filter(Boolean)
      .map(function (b) { return "<p>" + escapeHtml(b).replace(/\n/g, "<br>") + "</p>"; }).join("");
  }

  function formBody(form) {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === "submit" || el.type === "button") return;
      if (el.name === "password2") return;
      if (el.type === "checkbox") { body[el.name] = el.checked; return; }
      var value = el.value;
      if (el.dataset.paragraphs) { body[el.dataset.paragraphs] = toParagraphs(value); return; }
      if (el.dataset.list !== undefined) {
        body[el.name] = value.split(",").map(function (t) { return t.trim(); }).filter(Boolean);
        return;
      }
      if (value === "" && (el.name === "parent_id" || el.name === "subhead")) return;
      if (el.name === "website" && value === "") return;
      body[el.name] = value;
    });
    return body;
  }

  function waitFor(url, tries) {
    // Pages come from render's read model, which the event reaches a moment after the API
    // answered: wait until render shows the new page, then go there.
    return fetch("/api/render/ready?path=" + encodeURIComponent(url), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (body.ready || tries <= 0) return url;
        return new Promise(function (resolve) { setTimeout(resolve, 250); })
          .then(function () { return waitFor(url, tries - 1); });
      }, function () { return url; });
  }

  function appendComment(form, comment) {
    var list = document.querySelector("[data-comment-list]");
    if (!list) return;
    var li = document.createElement("li");
    li.className = "comment" + (comment.parent_id ? " reply" : "");
    li.id = "c-" + comment.comment_id;
    li.innerHTML = '<p class="comment-meta"><strong></strong> <time></time></p>' +
      '<div class="comment-body">' + toParagraphs(comment.body_text) + "</div>";
    li.querySelector("strong").textContent = comment.author_nick;
    li.querySelector("time").textContent = "방금";
    var parent = comment.parent_id && document.getElementById("c-" + comment.parent_id);
    if (parent) {
      var after = parent;
      while (after.nextElementSibling && after.nextElementSibling.classList.contains("reply")) {
        after = after.nextElementSibling;
      }
      after.insertAdjacentElement("afterend", li);
    } else {
      list.appendChild(li);
    }
    var count = document.querySelector("[data-comment-count]");
    if (count) count.textContent = String(list.children.length);
  }

  var AFTER = {
    signup: function (form, result, body) {
      return api("POST", "/api/sessions", { login: body.email, password: body.password })
        .then(function () { location.assign("/"); });
    },
    login: function (form) { location.assign(form.dataset.next || "/"); },
    post: function (form, result) {
      var post = result.body.post;
      var url = "/community/" + post.board + "/" + post.post_id;
      setStatus(form.querySelector(".form-status"), "등록되었습니다. 글로 이동합니다…", "ok");
      return waitFor(url, 40).then(function (u) { location.assign(u); });
    },
    article: function (form, result) {
      var url = "/news/" + result.body.article_id;
      setStatus(form.querySelector(".form-status"), "송고되었습니다. 기사로 이동합니다…", "ok");
      return waitFor(url, 40).then(function (u) { location.assign(u); });
    },
    comment: function (form, result) {
      appendComment(form, result.body.comment);
      form.reset();
      cancelReply(form);
      setStatus(form.querySelector(".form-status"), "댓글이 등록되었습니다.", "ok");
    },
    report: function (form, result) {
      setStatus(form.querySelector(".form-status"),
        result.body.hidden ? "신고가 접수되어 글이 가려졌습니다." : "신고가 접수되었습니다.", "ok");
    }
  };

  function submitForm(event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-api-form]")) return;
    event.preventDefault();
    clearErrors(form);
    var status = form.querySelector(".form-status");
    var same = form.querySelector("[data-same-as]");
    if (same) {
      var other = form.querySelector('[name="' + same.dataset.sameAs + '"]');
      if (other && other.value !== same.value) {
        fieldError(form, same.name, "비밀번호가 서로 다릅니다.");
        same.focus();
        return;
      }
    }
    var missing = Array.prototype.filter.call(form.elements, function (el) {
      return el.required && !el.value.trim();
    });
    if (missing.length) {
      missing.forEach(function (el) {
        if (!fieldError(form, el.dataset.paragraphs || el.name, "입력해 주세요.")) {
          el.setAttribute("aria-invalid", "true");
        }
      });
      setStatus(status, "빠진 항목을 입력해 주세요.", "error");
      missing[0].focus();
      return;
    }
    var body = formBody(form);
    if (form.dataset.after === "article") {
      body.guid = "web-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8);
    }
    var button = form.querySelector('[type="submit"]');
    if (button) button.disabled = true;
    setStatus(status, "보내는 중…", "");
    api("POST", form.getAttribute("action"), body).then(function (result) {
      if (result.status >= 200 && result.status < 300) {
        return AFTER[form.dataset.after](form, result, body);
      }
      showDetails(form, result);
      setStatus(status, messageOf(result), "error");
    }, function () {
      setStatus(status, "서버에 연결하지 못했습니다. 잠시 후 다시 시도해 주세요.", "error");
    }).then(function () { if (button) button.disabled = false; });
  }

  function cancelReply(form) {
    var parent = form.querySelector('[name="parent_id"]');
    if (parent) parent.value = "";
    var note = form.querySelector(".replying");
    if (note) note.hidden = true;
  }

  function onClick(event) {
    var target = event.target.closest ? event.target.closest("[data-logout],[data-back],[data-vote],[data-reply],[data-reply-cancel]") : null;
    if (!target) return;
    if (target.hasAttribute("data-logout")) {
      api("DELETE", "/api/sessions").then(function () { location.reload(); });
    } else if (target.hasAttribute("data-back")) {
      var ref = document.referrer;
      if (ref && ref.indexOf(location.origin + "/") === 0 && history.length > 1) {
        event.preventDefault();
        history.back();
      }
    } else if (target.hasAttribute("data-vote")) {
      var post = document.querySelector("[data-post]");
      var out = document.querySelector(".action-status");
      api("POST", "/api/boards/" + post.dataset.board + "/posts/" + post.dataset.post + "/vote", {})
        .then(function (result) {
          if (result.status === 200) setStatus(out, "추천했습니다. (추천 " + result.body.votes + ")", "ok");
          else setStatus(out, result.status === 401 ? "로그인하면 추천할 수 있습니다." : messageOf(result), "error");
        });
    } else if (target.hasAttribute("data-reply")) {
      var form = document.querySelector(".comment-form");
      if (!form) { location.assign("/login?next=" + encodeURIComponent(location.pathname)); return; }
      form.querySelector('[name="parent_id"]').value = target.dataset.reply;
      var note = form.querySelector(".replying");
      note.hidden = false;
      note.querySelector("[data-reply-name]").textContent = target.dataset.replyTo;
      form.querySelector("textarea").focus();
    } else if (target.hasAttribute("data-reply-cancel")) {
      cancelReply(target.closest("form"));
    }
  }

  /* Suggestions as you type: the search API's /api/search/suggest, as an ARIA listbox. */
  function suggest(input) {
    var list = document.createElement("ul");
    var id = input.id + "-suggestions";
    var timer = 0, items = [], active = -1, last = "";
    list.id = id;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "추천 검색어");
    list.hidden = true;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    input.parentNode.appendChild(list);

    function close() {
      list.hidden = true; active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function show(found) {
      items = found; active = -1;
      list.innerHTML = "";
      found.forEach(function (s, i) {
        var li = document.createElement("li");
        li.id = id + "-" + i;
        li.setAttribute("role", "option");
        li.textContent = s.headline;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); go(i); });
        list.appendChild(li);
      });
      list.hidden = !found.length;
      input.setAttribute("aria-expanded", found.length ? "true" : "false");
    }
    function go(i) { location.assign("/news/" + items[i].article_id); }
    function mark(i) {
      Array.prototype.forEach.call(list.children, function (li, n) {
        li.setAttribute("aria-selected", n === i ? "true" : "false");
      });
      active = i;
      if (i >= 0) input.setAttribute("aria-activedescendant", id + "-" + i);
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var typed = input.value.trim();
      if (!typed || typed.length > 50) { close(); return; }
      timer = setTimeout(function () {
        if (typed === last) return;
        last = typed;
        fetch("/api/search/suggest?q=" + encodeURIComponent(typed), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (body) { if (input.value.trim() === typed) show(body.suggestions || []); })
          .catch(close);
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); mark(Math.min(active + 1, items.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); mark(Math.max(active - 1, -1)); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); go(active); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  document.addEventListener("submit", submitForm);
  document.addEventListener("click", onClick);
  document.querySelectorAll("input[data-suggest]").forEach(suggest);
})();
