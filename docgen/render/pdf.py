"""PDF renditions of DOCX through LibreOffice kept running between documents, with a one-shot fallback.

    open_converter(profile_dir=..., workers=1)  -> KeptConverter | OneShotConverter | None (no LibreOffice)
    open_converter(profile_dir=..., workers=N)  -> ConverterPool of N of those (docgen.render.pdfpool)

KeptConverter runs a small worker under a uno-capable Python (Debian's python3-uno, or the
Python LibreOffice ships); the worker starts soffice with a private profile on a free port,
then converts one document per JSON line it reads. Worker and soffice share one process
group, so a timeout, a crash or close() ends both with a single killpg.

Not the unoserver package: its server did not notice a LibreOffice that died
(unoconv/unoserver#135) and a hung conversion blocked it until killed by hand
(unoconv/unoserver#50); supervising soffice is the point here, so we own that loop.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import IO, Any, Protocol

from docgen.errors import ConversionError, ConverterCrashed, ConverterUnavailable

LOG = logging.getLogger("docgen.render.pdf")

START_TIMEOUT = 60.0  # a first start lays out a fresh profile and may take seconds on a slow disk
FALLBACK_FIRST = 60.0  # after a failed start, documents go one soffice each this long, then a new start
FALLBACK_MAX = 3600.0
CLOSE_TIMEOUT = 5.0
NO_LIBREOFFICE = "LibreOffice не найден: PDF-версии не создаются, только DOCX"
NO_UNO = (
    "Модуль uno для Python не найден (Debian: пакет python3-uno): LibreOffice запускается "
    "заново для каждой PDF-версии — это медленнее"
)
DOCX_FILTER = "MS Word 2007 XML"

_WARNED: set[str] = set()
_WARNED_LOCK = threading.Lock()


class PdfConverter(Protocol):
    """Makes PDF renditions; `convert` writes `pdf` atomically or raises ConversionError."""

    def convert(self, docx: Path, pdf: Path) -> None: ...

    def close(self) -> None: ...


def open_converter(
    *, profile_dir: Path, timeout: float = 60.0, workers: int = 1, log: logging.Logger = LOG
) -> PdfConverter | None:
    """The best converter this machine allows, or None (logged once per process) without LibreOffice.

    `workers` > 1 gives a ConverterPool (docgen.render.pdfpool) of that many converters, each with
    its own profile and LibreOffice. Nothing is started here: a LibreOffice starts with its first document.
    """
    soffice = find_soffice()
    if soffice is None:
        _warn_once(log, NO_LIBREOFFICE)
        return None
    python = find_uno_python(soffice)
    if python is None:
        _warn_once(log, NO_UNO)
    if workers <= 1:
        return _one_converter(soffice=soffice, python=python, profile_dir=profile_dir, timeout=timeout, log=log)
    from docgen.render.pdfpool import ConverterPool

    members: list[PdfConverter] = []
    try:
        for _ in range(workers):
            members.append(_one_converter(soffice=soffice, python=python, profile_dir=profile_dir, timeout=timeout,
                                          log=log, attempts=1))
    except ConverterUnavailable:
        for member in members:
            member.close()
        raise
    return ConverterPool(members, log=log)


def _one_converter(*, soffice: str, python: str | None, profile_dir: Path, timeout: float, log: logging.Logger,
                   attempts: int = 2) -> PdfConverter:
    if python is None:
        return OneShotConverter(soffice=soffice, profile_dir=profile_dir, timeout=timeout)
    return KeptConverter(soffice=soffice, python=python, profile_dir=profile_dir, timeout=timeout, log=log,
                         attempts=attempts)


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def find_uno_python(soffice: str) -> str | None:
    """A Python that can `import uno`: LibreOffice's own (upstream builds ship one), else the system's."""
    candidates = [Path(os.path.realpath(soffice)).parent / "python", Path("/usr/bin/python3")]
    for python in candidates:
        if python.is_file() and _imports_uno(str(python)):
            return str(python)
    return None


def _imports_uno(python: str) -> bool:
    try:
        done = subprocess.run(
            [python, "-c", "import uno"], env=_worker_env(), capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _warn_once(log: logging.Logger, message: str) -> None:
    with _WARNED_LOCK:
        if message in _WARNED:
            return
        _WARNED.add(message)
    log.warning(message)


def _worker_env() -> dict[str, str]:
    # Our venv's PYTHONHOME/PYTHONPATH would make the system Python load the wrong standard library.
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONPATH")}


# ---------------------------------------------------------------- checks and files shared by both


def check_docx(docx: Path) -> None:
    """Refuse what is not a DOCX before LibreOffice sees it: its type detection would happily
    render a damaged or foreign file as plain text instead of failing."""
    if not docx.is_file():
        raise ConversionError(f"Нет файла «{docx.name}»: PDF-версия не создана")
    try:
        with zipfile.ZipFile(docx) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        names = set()
    if "word/document.xml" not in names:
        raise ConversionError(f"«{docx.name}» — не документ DOCX (файл повреждён?): PDF-версия не создана")


def _target_folder(pdf: Path) -> Path:
    folder = pdf.resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _temp_beside(pdf: Path) -> Path:
    """A hidden name in the target folder, so the final os.replace stays on one filesystem."""
    return _target_folder(pdf) / f".{pdf.stem}.{secrets.token_hex(4)}.pdf.part"


def _finish(made: Path, pdf: Path, docx: Path) -> None:
    """Put a real PDF under its final name; LibreOffice can report success and write nothing
    (freedomofpress/dangerzone#370: --convert-to exits 0 with no output)."""
    try:
        with made.open("rb") as fh:
            head = fh.read(5)
    except OSError:
        head = b""
    if head != b"%PDF-":
        made.unlink(missing_ok=True)
        raise ConversionError(f"LibreOffice не сделал PDF из «{docx.name}»: файла нет, он пуст или это не PDF")
    os.replace(made, pdf)


def _claim_profile(root: Path, kind: str) -> tuple[Path, IO[bytes]]:
    """A LibreOffice profile under `root` that no other converter (of any process) uses now.

    Two soffice processes given one profile merge into one instance, and the second one's
    listener never opens; a file lock per profile slot keeps the service and a CLI apart.
    """
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    for slot in range(64):
        handle = (root / f"{kind}-{slot}.lock").open("wb")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        except OSError:  # a share without locks (NFS without lockd, some SMB mounts): go local
            handle.close()
            return _claim_local_profile(kind)
        return root / f"{kind}-{slot}", handle
    raise ConverterUnavailable(f"Все профили LibreOffice в {root} заняты: PDF-версия не создана")


def _claim_local_profile(kind: str) -> tuple[Path, IO[bytes]]:
    """A fresh profile in the local temp folder, ours alone by its unique name."""
    folder = Path(tempfile.mkdtemp(prefix=f"docgen-libreoffice-{kind}-"))
    return folder / "profile", (folder / "profile.lock").open("wb")


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def group_pids(pgid: int) -> list[tuple[int, str]]:
    """Live (not zombie) processes of a process group as (pid, command name); empty off Linux."""
    found: list[tuple[int, str]] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        name = raw[raw.find("(") + 1 : raw.rfind(")")]
        state, _ppid, group = raw[raw.rfind(")") + 2 :].split()[:3]
        if int(group) == pgid and state not in ("Z", "X"):
            found.append((int(stat.parent.name), name))
    return found


def _wait_group_gone(pgid: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while group_pids(pgid) and time.monotonic() < deadline:
        time.sleep(0.02)


# ---------------------------------------------------------------- one soffice per document


class OneShotConverter:
    """One `soffice --convert-to pdf` per document: the benchmark floor, and the fallback."""

    def __init__(self, *, soffice: str, profile_dir: Path, timeout: float = 60.0):
        self.timeout = timeout
        self._soffice = soffice
        self._profile, self._profile_lock = _claim_profile(profile_dir, "oneshot")
        self._lock = threading.Lock()

    def __enter__(self) -> OneShotConverter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def convert(self, docx: Path, pdf: Path) -> None:
        check_docx(docx)
        with self._lock:
            if self._profile_lock.closed:
                raise ConverterUnavailable("Конвертер PDF закрыт: PDF-версия не создана")
            outdir = Path(tempfile.mkdtemp(prefix=".docgen-pdf-", dir=_target_folder(pdf)))
            try:
                self._run(docx.resolve(), outdir)
                _finish(outdir / f"{docx.stem}.pdf", pdf, docx)
            finally:
                shutil.rmtree(outdir, ignore_errors=True)

    def _run(self, docx: Path, outdir: Path) -> None:
        proc = subprocess.Popen(
            [self._soffice, *_office_flags(self._profile), f"--infilter={DOCX_FILTER}",
             "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(outdir), str(docx)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            raise ConversionError(
                f"LibreOffice не успел сделать PDF из «{docx.name}» за {self.timeout:g} с"
            ) from None
        finally:
            _kill_group(proc.pid)
            proc.wait()

    def close(self) -> None:
        with self._lock:
            self._profile_lock.close()


def _office_flags(profile: Path) -> list[str]:
    # --norestore: a killed soffice must not try to recover documents at the next start;
    # --nolockcheck: the profile is ours by our own file lock, a stale LibreOffice lock must not block.
    return ["--headless", "--invisible", "--nologo", "--nodefault", "--norestore", "--nolockcheck",
            f"-env:UserInstallation={profile.as_uri()}"]


# ---------------------------------------------------------------- the kept-running office

# Run by a uno-capable Python (not docgen's venv). Protocol: one JSON object per line each way.
# Whatever ends the worker (quit, a dead office, docgen gone so stdin closes) kills its process
# group, soffice included: a docgen killed with SIGKILL still leaves no LibreOffice behind.
_WORKER = r'''
import json, os, signal, subprocess, sys, time
import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.io import IOException
from com.sun.star.lang import IllegalArgumentException

def props(**values):
    out = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        out.append(prop)
    return tuple(out)

def reply(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()

def start(argv, port, deadline):
    office = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    url = "uno:socket,host=127.0.0.1,port=%d;urp;StarOffice.ComponentContext" % port
    while True:
        try:
            ctx = resolver.resolve(url)
            break
        except NoConnectException:
            if office.poll() is not None:
                raise RuntimeError("soffice exited with code %s" % office.returncode)
            if time.monotonic() > deadline:
                raise RuntimeError("soffice did not open its port in time")
            time.sleep(0.05)
    return office, ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)

def convert(desktop, src, dst):
    # FilterName pins the DOCX import; UpdateDocMode 0 (NO_UPDATE) never fetches linked content.
    load = props(Hidden=True, ReadOnly=True, FilterName="MS Word 2007 XML", UpdateDocMode=0)
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, load)
    if doc is None:
        return {"status": "unreadable", "error": "the document did not load"}
    try:
        doc.storeToURL(uno.systemPathToFileUrl(dst), props(FilterName="writer_pdf_Export"))
    finally:
        try:
            doc.close(True)
        except Exception:
            doc.dispose()
    return {"status": "ok"}

def serve(office, desktop):
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "quit":
            try:
                desktop.terminate()  # the bridge may drop before the call returns: fine
            except Exception:
                pass
            try:
                office.wait(timeout=float(request.get("grace", 3)))
            except subprocess.TimeoutExpired:
                pass
            reply(status="bye")
            return
        try:
            reply(**convert(desktop, request["src"], request["dst"]))
        except (IOException, IllegalArgumentException) as exc:
            reply(status="unreadable", error=getattr(exc, "Message", "") or str(exc))
        except Exception as exc:  # DisposedException and the like: the office is gone
            reply(status="gone", error="%s: %s" % (type(exc).__name__, getattr(exc, "Message", "") or exc))
            return

def main():
    start_timeout, port, argv = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    try:
        office, desktop = start(argv, port, time.monotonic() + start_timeout)
    except Exception as exc:
        reply(status="failed", error="%s: %s" % (type(exc).__name__, exc))
        return
    reply(status="ready")
    serve(office, desktop)

try:
    main()
finally:
    os.killpg(os.getpgrp(), signal.SIGKILL)
'''


class _Gone(Exception):
    """The worker or its LibreOffice died (or said so)."""


class _Hung(Exception):
    """No answer within the deadline."""


class _StartFailed(Exception):
    """LibreOffice could not be started as a listener."""


class _Office:
    """One worker process, leader of a process group that also holds its soffice."""

    def __init__(self, proc: subprocess.Popen[bytes]):
        self._proc = proc
        self._buffer = b""
        self.soffice_pid: int | None = None

    @property
    def pgid(self) -> int:
        return self._proc.pid

    @classmethod
    def start(cls, *, python: str, soffice: str, profile: Path, timeout: float) -> _Office:
        port = _free_port()
        argv = [soffice, *_office_flags(profile), f"--accept=socket,host=127.0.0.1,port={port};urp;"]
        with _office_log(profile) as log_file:
            proc = subprocess.Popen(
                [python, "-c", _WORKER, str(timeout), str(port), *argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=log_file, start_new_session=True, env=_worker_env(), bufsize=0,
            )
        office = cls(proc)
        try:
            answer = office._read(deadline=time.monotonic() + timeout + 5)
        except (_Gone, _Hung) as exc:
            office.kill()
            raise _StartFailed(str(exc) or type(exc).__name__) from None
        if answer.get("status") != "ready":
            office.kill()
            raise _StartFailed(answer.get("error", "?"))
        found = [pid for pid, name in group_pids(proc.pid) if name == "soffice.bin"]
        office.soffice_pid = found[0] if found else None
        return office

    def alive(self) -> bool:
        if self._proc.poll() is not None:
            return False
        return self.soffice_pid is None or any(pid == self.soffice_pid for pid, _ in group_pids(self._proc.pid))

    def ask(self, request: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write((json.dumps(request) + "\n").encode())
        except (BrokenPipeError, OSError) as exc:
            raise _Gone(f"worker pipe closed: {exc}") from None
        answer = self._read(deadline=time.monotonic() + timeout)
        if answer.get("status") == "gone":
            raise _Gone(answer.get("error", ""))
        return answer

    def _read(self, *, deadline: float) -> dict[str, Any]:
        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Hung()
            try:
                ready, _, _ = select.select([fd], [], [], left)
                chunk = os.read(fd, 65536) if ready else None
            except (OSError, ValueError):  # close() from another thread killed the worker under us
                raise _Gone("worker killed") from None
            if chunk == b"":
                raise _Gone("worker exited")
            self._buffer += chunk or b""
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def stop(self, *, grace: float) -> None:
        """Ask LibreOffice to quit (it saves its profile cleanly), then kill whatever is left."""
        try:
            if self._proc.poll() is None:
                self.ask({"op": "quit", "grace": grace}, timeout=grace + 1)
        except (_Gone, _Hung, ValueError):
            pass
        finally:
            self.kill()

    def kill(self) -> None:
        _kill_group(self._proc.pid)
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None:
                pipe.close()
        self._proc.wait()
        _wait_group_gone(self._proc.pid, timeout=CLOSE_TIMEOUT)


def _office_log(profile: Path) -> IO[bytes]:
    """LibreOffice's own output, kept across restarts (a crash is explained there) up to ~1 MB."""
    path = profile.parent / f"{profile.name}.log"
    big = path.exists() and path.stat().st_size > 1_000_000
    return path.open("wb" if big else "ab")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class KeptConverter:
    """LibreOffice started with the first document and kept running; restarted when it dies or
    hangs, and the document tried `attempts` times in all (a pool gives 1: it retries on another
    converter). One conversion at a time (a lock)."""

    def __init__(
        self, *, soffice: str, python: str, profile_dir: Path, timeout: float = 60.0,
        start_timeout: float = START_TIMEOUT, log: logging.Logger = LOG, fallback_seconds: float = FALLBACK_FIRST,
        attempts: int = 2,
    ):
        self.timeout = timeout
        self.attempts = attempts
        self.working_on: Path | None = None  # the document its LibreOffice converts right now
        self.start_timeout = start_timeout
        self._soffice, self._python, self._log = soffice, python, log
        self._profile_dir = profile_dir
        self._profile, self._profile_lock = _claim_profile(profile_dir, "kept")
        self._lock = threading.Lock()
        self._office: _Office | None = None
        self._fallback: OneShotConverter | None = None
        self._fallback_until = 0.0
        self._fallback_first = self._fallback_delay = fallback_seconds
        self._closed = False

    def __enter__(self) -> KeptConverter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The pid of the running soffice.bin; None before the first document or after close()."""
        office = self._office
        return office.soffice_pid if office is not None else None

    @property
    def process_group(self) -> int | None:
        office = self._office
        return office.pgid if office is not None else None

    def convert(self, docx: Path, pdf: Path) -> None:
        """A failed start of the kept office falls back to one soffice per document for a while
        (FALLBACK_FIRST seconds, doubling while starts keep failing), then the kept office is tried
        again: one crash at start-up does not make every later document slow until a restart. If the
        one-shot run fails too, LibreOffice is down: ConverterUnavailable, the step waits."""
        check_docx(docx)
        with self._lock:
            if self._fallback is not None and time.monotonic() < self._fallback_until:
                self._fallback.timeout = self.timeout
                self._fallback.convert(docx, pdf)
                return
            try:
                self._convert_kept(docx, pdf)
                self._fallback_delay = self._fallback_first
                return
            except _StartFailed as exc:
                problem = str(exc)
            self._convert_once(docx, pdf, problem=problem)

    def _convert_once(self, docx: Path, pdf: Path, *, problem: str) -> None:
        if self._fallback is None:
            self._fallback = OneShotConverter(soffice=self._soffice, profile_dir=self._profile_dir, timeout=self.timeout)
        self._fallback.timeout = self.timeout
        try:
            self._fallback.convert(docx, pdf)
        except ConversionError as exc:
            raise ConverterUnavailable(f"LibreOffice не запускается ({problem}); разовый запуск тоже не удался: "
                                       f"{exc}") from None
        self._fallback_until = time.monotonic() + self._fallback_delay
        self._log.warning("LibreOffice не запустился как служба (%s): PDF-версии делаются по одной (медленнее) "
                          "ещё %g с, затем снова попытка запуска", problem, self._fallback_delay)
        self._fallback_delay = min(self._fallback_delay * 2, FALLBACK_MAX)

    def warm_up(self) -> None:
        """Start LibreOffice now rather than with the next document (a pool restarts a converter so);
        a start that fails is left for the next document, which then falls back as `convert` says."""
        with self._lock:
            try:
                self._running_office()
            except (_StartFailed, ConverterUnavailable) as exc:
                self._log.warning("LibreOffice не запустился заранее (%s): попытка будет с документом", exc)

    def _convert_kept(self, docx: Path, pdf: Path) -> None:
        part = _temp_beside(pdf)
        try:
            answer = self._ask_with_restart({"op": "convert", "src": str(docx.resolve()), "dst": str(part)}, docx)
            if answer.get("status") != "ok":
                raise ConversionError(f"LibreOffice не смог открыть «{docx.name}»: файл повреждён или это не DOCX")
            _finish(part, pdf, docx)
        finally:
            part.unlink(missing_ok=True)

    def _ask_with_restart(self, request: dict[str, Any], docx: Path) -> dict[str, Any]:
        problem = ""
        for attempt in range(1, self.attempts + 1):
            office = self._running_office()
            self.working_on = docx
            try:
                return office.ask(request, timeout=self.timeout)
            except _Hung:
                problem = f"не успел сделать PDF из «{docx.name}» за {self.timeout:g} с"
            except _Gone as exc:
                problem = f"аварийно завершился на «{docx.name}» ({exc})"
            finally:
                self.working_on = None
            self._drop_office()
            if attempt < self.attempts and not self._closed:
                self._log.warning("LibreOffice %s: перезапуск и повтор", problem)
        again = "; после перезапуска — снова" if self.attempts > 1 else ""
        raise ConverterCrashed(f"LibreOffice {problem}{again}: PDF-версия не создана")

    def _running_office(self) -> _Office:
        if self._closed:
            raise ConverterUnavailable("Конвертер PDF закрыт: PDF-версия не создана")
        if self._office is not None and not self._office.alive():
            self._log.warning("LibreOffice завершился между документами: перезапуск")
            self._drop_office()
        if self._office is None:
            self._office = _Office.start(
                python=self._python, soffice=self._soffice, profile=self._profile, timeout=self.start_timeout
            )
            if self._closed:  # close() from another thread came while this office started: it must not stay
                self._drop_office()
                raise ConverterUnavailable("Конвертер PDF закрыт: PDF-версия не создана")
        return self._office

    def _drop_office(self) -> None:
        office, self._office = self._office, None
        if office is not None:
            office.kill()

    def close(self) -> None:
        """Stop LibreOffice and free the profile; safe to call twice, and from another thread:
        a conversion stuck past CLOSE_TIMEOUT is killed under its feet (it then fails)."""
        self._closed = True
        if self._lock.acquire(timeout=CLOSE_TIMEOUT):
            try:
                self._shutdown(graceful=True)
            finally:
                self._lock.release()
        else:
            self._shutdown(graceful=False)

    def _shutdown(self, *, graceful: bool) -> None:
        office, self._office = self._office, None
        if office is not None and graceful:
            office.stop(grace=CLOSE_TIMEOUT)
        elif office is not None:
            office.kill()
        if self._fallback is not None:
            self._fallback.close()
        self._profile_lock.close()
