"""Calling a running local gateway from the check scripts (standard library
only, so any of the project's virtualenvs can run them): mint a token with
the `local` binary, send a JSON request, get the status and body back."""
import json
import subprocess
import urllib.error
import urllib.request


def token(local, data_dir, email, provider=None):
    """A bearer token for `email`, signed with the gateway's secret; signed
    in through `provider` (`google`, `microsoft`) when given."""
    extra = ["--provider", provider] if provider else []
    return subprocess.check_output([local, "--data-dir", data_dir, "token", email, *extra]).decode().strip()


def call(api, method, path, token=None, body=None, headers=None):
    """Sends one request; returns (status, body text), errors included."""
    request = urllib.request.Request(
        api + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "content-type": "application/json",
            **({"authorization": "Bearer " + token} if token else {}),
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
