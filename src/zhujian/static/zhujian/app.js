/* zhujian — our own JavaScript (CSP-ready: loaded from a file, no eval, no inline handlers).
 *
 * 1. Sends Django's CSRF token as the X-CSRFToken header on every htmx request that changes
 *    something (read from the csrftoken cookie, or from <meta name="csrf-token"> when the cookie
 *    is HttpOnly or renamed).
 * 2. Shows a short Chinese message when an htmx request fails, since htmx does not swap error
 *    responses and the user would otherwise see nothing happen.
 */
(function () {
  "use strict";

  var SAFE_METHODS = { get: true, head: true, options: true, trace: true };

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") || "" : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var verb = String(event.detail.verb || "").toLowerCase();
    if (SAFE_METHODS[verb]) {
      return;
    }
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  function describe(status) {
    if (status === 401 || status === 403) {
      return "没有权限执行此操作，或登录已过期，请刷新页面后重试。";
    }
    if (status === 404) {
      return "请求的内容不存在或已被删除。";
    }
    if (status === 413) {
      return "提交的内容过大。";
    }
    if (status >= 500) {
      return "服务器出错，操作未完成，请稍后重试。";
    }
    return "操作未完成（状态码 " + status + "），请检查后重试。";
  }

  function toast(text) {
    var area = document.getElementById("zj-toasts");
    if (!area) {
      return;
    }
    var alert = document.createElement("div");
    alert.className = "alert alert-danger alert-dismissible fade show shadow-sm mb-2";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "关闭");
    alert.appendChild(close);
    area.appendChild(alert);
    window.setTimeout(function () {
      if (alert.parentNode) {
        alert.parentNode.removeChild(alert);
      }
    }, 8000);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    toast(describe(xhr ? xhr.status : 0));
  });

  document.addEventListener("htmx:sendError", function () {
    toast("网络连接失败，请检查网络后重试。");
  });
})();
