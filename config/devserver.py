"""`make run`'s foreground process: the web server and a Celery worker with beat.

Ctrl-C (or SIGTERM) stops them all; if one of them dies, the others are stopped too.
"""

import os
import signal
import subprocess
import sys
import time


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    port = os.environ.get("PORT", "8000")
    python = sys.executable
    commands = {
        "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--beat",
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "--schedule",
            settings.CELERY_BEAT_SCHEDULE_FILENAME,
        ],
    }
    processes = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
    password = "the DEMO_PASSWORD you set" if "DEMO_PASSWORD" in os.environ else "curation-demo"
    print(
        "\n"
        f"  Evidence curation service on http://127.0.0.1:{port}/\n"
        f"    admin:      http://127.0.0.1:{port}/admin/\n"
        f"    API:        http://127.0.0.1:{port}/api/v1/  (docs: /api/v1/docs/)\n"
        f"    published:  http://127.0.0.1:{port}/published/latest/index.html\n"
        f"  Log in as editor, reviewer, reviewer2 or admin with password {password}.\n"
        "  Ctrl-C stops the web server and the worker.\n",
        flush=True,
    )

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, proc in processes.items():
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}; stopping the rest.", flush=True)
                exit_code = proc.returncode or 1
                stopping = True
        time.sleep(0.3)
    for proc in processes.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in processes.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
