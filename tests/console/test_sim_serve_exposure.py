"""Issue 20 defect 8: the simulator never listens beyond loopback with the public default credentials."""

from __future__ import annotations

from console.cli import main


def test_a_public_host_with_default_credentials_is_refused(capsys) -> None:
    assert main(["sim", "serve", "--host", "0.0.0.0", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "--host 0.0.0.0" in err and "--api-key" in err and "Traceback" not in err
