#!/usr/bin/env python3
"""A small Marionette client for tests/e2e/test-firefox.sh (standard library only).

Marionette (Firefox's remote protocol, started by `firefox --marionette`)
speaks length-prefixed JSON over TCP: every packet is "LEN:JSON" where LEN is
the byte length of JSON in decimal. On connect the server sends a hello
object; a command is [0, id, name, params], its answer [1, id, error, result]
(error is null on success).

Usage: marionette.py [--timeout S] PORT-OR-PORTFILE STEP...

Steps run in order in one WebDriver session; each prints lines on stdout:
  tokens             "token <name> loggedin=<0|1> present=<0|1> lib=<path>"
                     per slot of the PKCS#11 modules with a library (not
                     NSS's internal ones); the name of a token that left is
                     NSS's cached one, present= says whether it is there
  prompter:SUBSTR    replaces Firefox's prompter with a test one that
                     answers PIN questions naming a token containing SUBSTR
                     with the PIN from the environment variable JP_FF_PIN
                     (never the command line; "WRONG RIGHT": the first
                     question gets WRONG, every later one RIGHT), cancels
                     all other questions, records them; "prompter installed"
  login:SUBSTR       the same, then logs in to that token (what Settings →
                     Security Devices → Log In does):
                     "login loggedin=<0|1> asked=<questions during login>"
  logout:SUBSTR      logs out of that token: "logout loggedin=<0|1>"
  asked              the questions recorded since the last "asked":
                     "asked N", then
                     "question answered|cancelled: <text>" per question
  pref:NAME=VALUE    sets a preference (integer, true/false or string):
                     "pref NAME set"
  get:URL:FILE       navigates to URL (bounded by the page load timeout),
                     writes the page source (or the error page's) to FILE;
                     "get ok" or "get error <error>: <message>"
  chrome:FILE        runs the chrome-context script in FILE, prints its
                     JSON result (for debugging)

The exit status is 0 when every step could be run (a navigation error is a
result, not a failure of this program), 1 otherwise. Every socket operation
is bounded by --timeout.
"""

import json
import os
import socket
import sys
import time


class MarionetteError(Exception):
    pass


class Marionette:
    def __init__(self, port, timeout):
        self.timeout = timeout
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.next_id = 1
        hello = self._read_packet()
        if not isinstance(hello, dict) or hello.get("marionetteProtocol") is None:
            raise MarionetteError("unexpected hello: %r" % (hello,))

    def _read_packet(self):
        deadline = time.monotonic() + self.timeout
        while True:
            colon = self.buf.find(b":")
            if colon > 0:
                length = int(self.buf[:colon])
                if len(self.buf) >= colon + 1 + length:
                    data = self.buf[colon + 1:colon + 1 + length]
                    self.buf = self.buf[colon + 1 + length:]
                    return json.loads(data.decode("utf-8"))
            if time.monotonic() > deadline:
                raise MarionetteError("timed out waiting for Marionette")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise MarionetteError("Marionette closed the connection")
            self.buf += chunk

    def command(self, name, params=None):
        msg_id = self.next_id
        self.next_id += 1
        data = json.dumps([0, msg_id, name, params or {}]).encode("utf-8")
        self.sock.sendall(str(len(data)).encode("ascii") + b":" + data)
        while True:
            reply = self._read_packet()
            # Answers may come out of order in principle: skip others.
            if isinstance(reply, list) and len(reply) == 4 and reply[0] == 1 \
                    and reply[1] == msg_id:
                break
        if reply[2] is not None:
            err = reply[2]
            raise MarionetteError("%s: %s" % (err.get("error"), err.get("message")))
        return reply[3]

    def chrome_script(self, script, args=None):
        self.command("Marionette:SetContext", {"value": "chrome"})
        try:
            res = self.command("WebDriver:ExecuteScript",
                               {"script": script, "args": args or []})
        finally:
            self.command("Marionette:SetContext", {"value": "content"})
        return res.get("value") if isinstance(res, dict) else res


# Chrome-context scripts: the PKCS#11 modules and their tokens through
# Firefox's XPCOM interfaces (nsIPKCS11ModuleDB, nsIPKCS11Module, the slot and
# token interfaces). They changed over releases: listModules() returns a
# Promise of an array in Firefox 153 (an nsISimpleEnumerator in older ones),
# modules have a "slots" array instead of listSlots(), the token interface is
# nsIPKCS11Token (was nsIPK11Token) whose isLoggedIn is an attribute (was a
# method), and checkPassword() is gone. The helpers accept both shapes.
# Marionette waits for the Promise the async wrapper returns.
JS_COMMON = """
return (async () => {
function list(v) {
  if (v && typeof v.hasMoreElements === "function") {
    let a = [];
    while (v.hasMoreElements()) { a.push(v.getNext()); }
    return a;
  }
  return Array.from(v || []);
}
function qi(o, name) {
  return (Ci[name] && typeof o.QueryInterface === "function")
         ? o.QueryInterface(Ci[name]) : o;
}
async function get(o, name) {
  return (typeof o[name] === "function") ? await o[name]() : o[name];
}
async function tokens() {
  const mdb = Cc["@mozilla.org/security/pkcs11moduledb;1"]
              .getService(Ci.nsIPKCS11ModuleDB);
  let out = [];
  for (let mod of list(await mdb.listModules())) {
    mod = qi(mod, "nsIPKCS11Module");
    if (!mod.libName) { continue; }
    const slots = ("slots" in mod) ? mod.slots : await mod.listSlots();
    for (let slot of list(slots)) {
      slot = qi(slot, "nsIPKCS11Slot");
      let tok = null;
      try { tok = await slot.getToken(); } catch (e) { continue; }
      if (tok) {
        tok = qi(tok, Ci.nsIPKCS11Token ? "nsIPKCS11Token" : "nsIPK11Token");
        out.push({tok: tok, lib: mod.libName,
                  present: slot.status !== slot.SLOT_NOT_PRESENT});
      }
    }
  }
  return out;
}
async function findToken(sub) {
  for (const t of await tokens()) {
    if (t.tok.tokenName.includes(sub)) { return t.tok; }
  }
  return null;
}
// NSS asks for a token's PIN through the prompter service (an nsIPrompt's
// promptPassword). Headless Firefox would show a dialog nobody answers:
// replace the service with one that behaves like a careful user: it types
// the PIN only when the question names the token it is meant for, cancels
// every other question, and remembers all questions.
const CONTRACT = "@mozilla.org/prompter;1";
function mockState() {
  const f = Components.manager.getClassObjectByContractID(CONTRACT, Ci.nsIFactory);
  return f.wrappedJSObject && f.wrappedJSObject.jpki ? f.wrappedJSObject : null;
}
// pins: the answers, blank-separated; each is used once, in order, the last
// one again for every later question (a user who mistyped once).
function installPrompter(match, pins) {
  const answers = (pins === null || pins === undefined) ? [] :
                  String(pins).split(/\s+/).filter(x => x !== "");
  let st = mockState();
  if (st) { st.match = match; st.answers = answers; return st; }
  st = {jpki: true, match: match, answers: answers, asked: []};
  const prompter = {
    QueryInterface: ChromeUtils.generateQI(["nsIPrompt", "nsIPromptFactory"]),
    getPrompt(win, iid) { return this.QueryInterface(iid); },
    promptPassword(title, text, password, checkMsg, checkValue) {
      const yes = st.answers.length > 0 && st.match !== "" && text.includes(st.match);
      st.asked.push((yes ? "answered: " : "cancelled: ") + text);
      if (!yes) { return false; }
      password.value = st.answers.length > 1 ? st.answers.shift() : st.answers[0];
      return true;
    },
    alert(title, text) { st.asked.push("alert: " + text); },
    confirm(title, text) { st.asked.push("confirm: " + text); return false; },
  };
  const factory = {
    QueryInterface: ChromeUtils.generateQI(["nsIFactory"]),
    createInstance(iid) { return prompter.QueryInterface(iid); },
  };
  factory.wrappedJSObject = st;
  Components.manager.QueryInterface(Ci.nsIComponentRegistrar).registerFactory(
    Components.ID("{5f0d7b8e-2f43-4a7e-9a51-3c0f7e1d2b61}"),
    "jpki-pkcs11 test prompter", CONTRACT, factory);
  return st;
}
%s
})();
"""

JS_TOKENS = JS_COMMON % """
let out = [];
for (const t of await tokens()) {
  out.push({name: t.tok.tokenName, loggedIn: await get(t.tok, "isLoggedIn"),
            present: t.present, lib: t.lib});
}
return out;
"""

# arguments: token name substring, PIN (null: answer "cancel")
JS_LOGIN = JS_COMMON % """
const tok = await findToken(arguments[0]);
if (!tok) { return "no-such-token"; }
const st = installPrompter(arguments[0], arguments[1]);
const before = st.asked.length;
let res = "";
try {
  await tok.login(false);
} catch (e) {
  res = " exception=" + (e.name || e.result || e.message || String(e));
}
return "loggedin=" + ((await get(tok, "isLoggedIn")) ? 1 : 0) +
       " asked=" + (st.asked.length - before) + res;
"""

JS_PROMPTER = JS_COMMON % """
installPrompter(arguments[0], arguments[1]);
return "installed";
"""

JS_ASKED = JS_COMMON % """
const st = mockState();
if (!st) { return []; }
const a = st.asked.slice();
st.asked.length = 0;
return a;
"""

# arguments: name, value (number, boolean or string)
JS_PREF = """
const [name, value] = arguments;
if (typeof value === "number") { Services.prefs.setIntPref(name, value); }
else if (typeof value === "boolean") { Services.prefs.setBoolPref(name, value); }
else { Services.prefs.setStringPref(name, value); }
return "set";
"""

JS_LOGOUT = JS_COMMON % """
const tok = await findToken(arguments[0]);
if (!tok) { return "no-such-token"; }
await tok.logout();
return "loggedin=" + ((await get(tok, "isLoggedIn")) ? 1 : 0);
"""


def run_step(m, step):
    kind, _, rest = step.partition(":")
    if kind == "tokens":
        for t in m.chrome_script(JS_TOKENS):
            print("token %s loggedin=%d present=%d lib=%s" %
                  (t["name"], 1 if t["loggedIn"] else 0, 1 if t["present"] else 0,
                   t["lib"]))
    elif kind == "login":
        print("login %s" % m.chrome_script(JS_LOGIN, [rest, os.environ.get("JP_FF_PIN")]))
    elif kind == "prompter":
        print("prompter %s" % m.chrome_script(JS_PROMPTER, [rest, os.environ.get("JP_FF_PIN")]))
    elif kind == "asked":
        asked = m.chrome_script(JS_ASKED)
        print("asked %d" % len(asked))
        for text in asked:
            print("question %s" % " ".join(str(text).split()))
    elif kind == "logout":
        print("logout %s" % m.chrome_script(JS_LOGOUT, [rest]))
    elif kind == "pref":
        name, _, value = rest.partition("=")
        if value.lstrip("-").isdigit():
            value = int(value)
        elif value in ("true", "false"):
            value = value == "true"
        print("pref %s %s" % (name, m.chrome_script(JS_PREF, [name, value])))
    elif kind == "get":
        url, _, path = rest.rpartition(":")
        src = ""
        try:
            m.command("WebDriver:Navigate", {"url": url})
            src = m.command("WebDriver:GetPageSource").get("value", "")
            print("get ok")
        except MarionetteError as e:
            print("get error %s" % " ".join(str(e).split()))
            # The error page's source names the error (best effort).
            try:
                src = m.command("WebDriver:GetPageSource").get("value", "")
            except MarionetteError:
                src = ""
        with open(path, "w", encoding="utf-8") as f:
            f.write(src)
    elif kind == "chrome":
        with open(rest, encoding="utf-8") as f:
            print("chrome %s" % json.dumps(m.chrome_script(f.read())))
    else:
        raise MarionetteError("unknown step %r" % step)
    sys.stdout.flush()


def main(argv):
    timeout = 20.0
    if len(argv) > 2 and argv[1] == "--timeout":
        timeout = float(argv[2])
        argv = [argv[0]] + argv[3:]
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    target = argv[1]
    if target.isdigit():
        port = int(target)
    else:
        with open(target, encoding="ascii") as f:
            port = int(f.read().strip())
    status = 0
    m = Marionette(port, timeout)
    try:
        # Bounded page loads: a TLS handshake that hangs must not hang us.
        m.command("WebDriver:NewSession", {"capabilities": {"alwaysMatch": {
            "acceptInsecureCerts": False,
            "timeouts": {"pageLoad": int(timeout * 1000 * 0.75),
                         "script": int(timeout * 1000 * 0.75)}}}})
        for step in argv[2:]:
            run_step(m, step)
    except (MarionetteError, OSError, ValueError, KeyError) as e:
        sys.stderr.write("marionette.py: %s\n" % e)
        status = 1
    finally:
        try:
            m.sock.close()
        except OSError:
            pass
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
