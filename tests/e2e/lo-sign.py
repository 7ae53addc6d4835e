#!/usr/bin/python3
"""Signs documents with LibreOffice (headless, through UNO) and a PKCS#11
token that NSS reaches through MOZILLA_CERTIFICATE_FOLDER.

  lo-sign.py [options] pdf IN OUT.pdf   export IN to a signed PDF
  lo-sign.py [options] odf IN OUT.odt   copy IN (an ODF file) to OUT and add
                                        an XML signature (META-INF/
                                        documentsignatures.xml) to it
  lo-sign.py [options] verify-odf FILE  LibreOffice's own verdict on FILE's
                                        signatures, one line per signature

Passwords come from the environment, never from the command line:
  JP_LO_SIGN_PASSWORD  the signature token's password (required to sign)
  JP_LO_AUTH_PIN       the authentication token's PIN (optional, see below)

Why a script and not `soffice --convert-to`: LibreOffice asks for a token
password through NSS's password callback, which it answers with a
com.sun.star.task.InteractionHandler. Headless there is nobody to ask, the
callback returns nothing and the export fails before the PDF filter's
SignaturePassword is ever used (LibreOffice 7.4). This script runs a private
soffice, replaces that interaction handler in it by one that answers the
token password requests itself, and drives the export or the signature over
UNO.

Token password requests are answered once per request: a request to
re-enter (the password was wrong) is refused, so a wrong password costs the
card exactly one try, never the whole retry counter.

The certificate: with --cert FILE (DER) only the signature token needs its
password (PDF only: LibreOffice's XML signer needs the certificate object
of the token). Without --cert the certificate is looked up among NSS's
personal certificates, and LibreOffice then logs in to EVERY token that
needs a login: the authentication token's PIN must be given too
(JP_LO_AUTH_PIN), otherwise LibreOffice gives up on the whole list.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

import uno
import unohelper
from com.sun.star.beans import PropertyValue
from com.sun.star.lang import XServiceInfo, XSingleComponentFactory
from com.sun.star.task import XInteractionHandler2

# pyuno (LibreOffice 7.4) with Python 3.11: turning a UNO exception that is
# carried as a value (an interaction request) into a Python object fails,
# because Python sets "args" on it and pyuno forwards that to the UNO struct.
_uno_setattr = uno._uno_struct__setattr__


def _setattr(self, name, value):
    if name == "args" and isinstance(self, BaseException):
        return BaseException.__setattr__(self, name, value)
    return _uno_setattr(self, name, value)


uno._uno_struct__setattr__ = _setattr

UUI_HANDLER = "com.sun.star.comp.uui.UUIInteractionHandler"
HANDLER_SERVICE = "com.sun.star.task.InteractionHandler"


def log(msg):
    print("lo-sign: " + msg, file=sys.stderr, flush=True)


def pv(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def file_url(path):
    return uno.systemPathToFileUrl(os.path.abspath(path))


class TokenPasswords(unohelper.Base, XInteractionHandler2):
    """Answers NSS token password requests (DocumentPasswordRequest2 whose
    Name is the token label) from a label -> password map."""

    def __init__(self, passwords):
        self.passwords = passwords

    def handle(self, request):
        self.handleInteractionRequest(request)

    def handleInteractionRequest(self, request):
        try:
            req = request.getRequest()
            name = getattr(req, "Name", "")
            mode = getattr(getattr(req, "Mode", None), "value", "")
        except Exception as e:  # not a password request we understand
            log("interaction request not understood (%s): refused" % type(e).__name__)
            return False
        secret = self.passwords.get(name)
        if secret is None or mode != "PASSWORD_ENTER":
            why = "re-entry after a wrong password" if mode == "PASSWORD_REENTER" else "no password for it"
            # Selecting nothing is a refusal: NSS gets no password.
            log("password requested for token '%s': refused (%s)" % (name, why))
            return True
        for c in request.getContinuations():
            if hasattr(c, "setPassword"):
                c.setPassword(secret)
                c.select()
                log("password requested for token '%s': given" % name)
                return True
        log("password requested for token '%s': no way to answer" % name)
        return False


class HandlerFactory(unohelper.Base, XSingleComponentFactory, XServiceInfo):
    def __init__(self, handler):
        self.handler = handler

    def createInstanceWithContext(self, ctx):
        return self.handler

    def createInstanceWithArgumentsAndContext(self, args, ctx):
        return self.handler

    def getImplementationName(self):
        return "jpki.test.TokenPasswordHandler"

    def supportsService(self, name):
        return name == HANDLER_SERVICE

    def getSupportedServiceNames(self):
        return (HANDLER_SERVICE,)


class Office:
    """A private soffice in its own session (process group), reached
    through a named pipe; always stopped, by its process group."""

    def __init__(self, profile, pidfile, timeout):
        self.pipe = "jplosign%d" % os.getpid()
        cmd = [shutil.which("soffice") or "soffice",
               "-env:UserInstallation=" + file_url(profile),
               "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
               "--accept=pipe,name=%s;urp;" % self.pipe]
        self.proc = subprocess.Popen(cmd, start_new_session=True, stdin=subprocess.DEVNULL)
        if pidfile:
            with open(pidfile, "w") as f:
                f.write("%d\n" % self.proc.pid)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + timeout
        self.ctx = None
        while self.ctx is None:
            try:
                self.ctx = resolver.resolve(
                    "uno:pipe,name=%s;urp;StarOffice.ComponentContext" % self.pipe)
            except Exception:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("soffice did not answer within %d s" % timeout)
                time.sleep(0.2)
        self.smgr = self.ctx.ServiceManager
        self.desktop = self.create("com.sun.star.frame.Desktop")

    def create(self, service, args=None):
        if args is None:
            return self.smgr.createInstanceWithContext(service, self.ctx)
        return self.smgr.createInstanceWithArgumentsAndContext(service, args, self.ctx)

    def answer_passwords(self, passwords):
        # LibreOffice's NSS password callback creates a new
        # com.sun.star.task.InteractionHandler for every request; the
        # service manager takes the first implementation registered for a
        # service name, so the stock one goes (in this private instance).
        self.smgr.remove(UUI_HANDLER)
        self.smgr.insert(HandlerFactory(TokenPasswords(passwords)))

    def stop(self):
        try:
            self.desktop.terminate()
        except Exception:
            pass  # the bridge goes away with the office
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def security_environment(office):
    sei = office.create("com.sun.star.xml.crypto.SEInitializer")
    return sei.createSecurityContext("").getSecurityEnvironment()


def pick_certificate(env, args):
    if args.cert:
        with open(args.cert, "rb") as f:
            return env.createCertificateFromRaw(uno.ByteSequence(f.read()))
    try:
        certs = env.getPersonalCertificates()
    except Exception as e:
        raise RuntimeError("LibreOffice could not list the personal certificates "
                           "(it logs in to every token: is JP_LO_AUTH_PIN set?): %s"
                           % type(e).__name__)
    for c in certs:
        if args.subject:
            if c.SubjectName == args.subject:
                return c
        elif "digital signature" in c.IssuerName.lower():
            # A JPKI signing certificate: its CA is "JPKI for digital signature".
            return c
    raise RuntimeError("no personal certificate matches (%d seen)" % len(certs))


def load(office, path):
    doc = office.desktop.loadComponentFromURL(file_url(path), "_blank", 0,
                                              (pv("Hidden", True),))
    if doc is None:
        raise RuntimeError("LibreOffice could not open " + path)
    return doc


def sign_pdf(office, args):
    doc = load(office, args.input)
    try:
        # After loading: the security environment sets NSS's (process-wide)
        # password callback when it is created and clears it when one is
        # destroyed, and loading a document creates and drops one.
        env = security_environment(office)
        cert = pick_certificate(env, args)
        log("certificate: " + cert.SubjectName)
        data = [pv("SignPDF", True), pv("SignatureCertificate", cert),
                pv("SignaturePassword", os.environ.get("JP_LO_SIGN_PASSWORD", ""))]
        if args.reason:
            data.append(pv("SignatureReason", args.reason))
        fd = uno.Any("[]com.sun.star.beans.PropertyValue", tuple(data))
        doc.storeToURL(file_url(args.output),
                       (pv("FilterName", "writer_pdf_Export"), pv("FilterData", fd)))
    finally:
        doc.close(True)


def odf_version(path):
    import re
    import zipfile
    with zipfile.ZipFile(path) as z:
        m = re.search(rb'manifest:version="([0-9.]+)"', z.read("META-INF/manifest.xml"))
    return m.group(1).decode() if m else "1.2"


def zip_storage(office, path, mode):
    # "ZipFormat": META-INF is an ordinary folder, as the signature code wants.
    sf = office.create("com.sun.star.embed.StorageFactory")
    props = uno.Any("[]com.sun.star.beans.PropertyValue", (pv("StorageFormat", "ZipFormat"),))
    return uno.invoke(sf, "createInstanceWithArguments", ((file_url(path), mode, props),))


def sign_odf(office, args):
    from com.sun.star.embed.ElementModes import READWRITE
    if args.cert:
        raise RuntimeError("odf: LibreOffice signs XML only with a token's own certificate "
                           "object; leave out --cert")
    env = security_environment(office)  # held: dropping it clears NSS's callback
    cert = pick_certificate(env, args)
    log("certificate: " + cert.SubjectName)
    shutil.copyfile(args.input, args.output)
    dds = office.create("com.sun.star.security.DocumentDigitalSignatures",
                        (odf_version(args.output), False))
    stor = zip_storage(office, args.output, READWRITE)
    try:
        if not dds.signDocumentWithCertificate(cert, stor, None):
            raise RuntimeError("signDocumentWithCertificate failed")
        stor.commit()
    finally:
        stor.dispose()


def verify_odf(office, args):
    from com.sun.star.embed.ElementModes import READ
    dds = office.create("com.sun.star.security.DocumentDigitalSignatures",
                        (odf_version(args.input), True))
    stor = zip_storage(office, args.input, READ)
    try:
        infos = dds.verifyDocumentContentSignatures(stor, None)
    finally:
        stor.dispose()
    # CertificateStatus: css.security.CertificateValidity (0 = VALID).
    for i in infos:
        print("signature valid=%d certificate-status=%d subject=%s" %
              (1 if i.SignatureIsValid else 0, i.CertificateStatus,
               i.Signer.SubjectName if i.Signer else "?"))
    return len(infos)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--profile", required=True, help="LibreOffice user profile directory")
    ap.add_argument("--pidfile", help="write soffice's PID (its process group) here")
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--cert", help="the signing certificate (DER) to sign a PDF with")
    ap.add_argument("--subject", help="the signing certificate's subject (as LibreOffice prints it)")
    ap.add_argument("--reason", help="PDF signature reason")
    ap.add_argument("--sign-token", default="My Number Card (Signature)")
    ap.add_argument("--auth-token", default="My Number Card (Authentication)")
    ap.add_argument("command", choices=("pdf", "odf", "verify-odf"))
    ap.add_argument("input")
    ap.add_argument("output", nargs="?")
    args = ap.parse_args()
    if args.command != "verify-odf" and not args.output:
        ap.error("%s needs IN and OUT" % args.command)

    passwords = {}
    if "JP_LO_SIGN_PASSWORD" in os.environ:
        passwords[args.sign_token] = os.environ["JP_LO_SIGN_PASSWORD"]
    if "JP_LO_AUTH_PIN" in os.environ:
        passwords[args.auth_token] = os.environ["JP_LO_AUTH_PIN"]

    rc = 1
    office = None
    try:
        office = Office(args.profile, args.pidfile, args.timeout)
        office.answer_passwords(passwords)
        if args.command == "pdf":
            sign_pdf(office, args)
            rc = 0
        elif args.command == "odf":
            sign_odf(office, args)
            rc = 0
        else:
            rc = 0 if verify_odf(office, args) > 0 else 1
    except Exception as e:
        log("failed: %s: %s" % (type(e).__name__, str(e).split("\n")[0][:300]))
    finally:
        if office is not None:
            office.stop()
    return rc


if __name__ == "__main__":
    sys.exit(main())
