"""Schemathesis hooks for scripts/check-robustness (named by
scripts/schemathesis.toml).

A well-formed `Idempotency-Key` is made unique per request. Generated keys
repeat (the document's example, hypothesis's favourite short strings), and
the service rightly answers 422 to a key reused with another request, so
without this a quarter of the writes never reach the rules they should
probe. Malformed keys are sent as generated: refusing those with a 400 is
part of what is checked."""
import re
import uuid

import schemathesis

WELL_FORMED = re.compile(r"[!-~]{1,255}")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    for name in list(case.headers or {}):
        if name.lower() == "idempotency-key":
            value = case.headers[name]
            if isinstance(value, str) and WELL_FORMED.fullmatch(value):
                case.headers[name] = str(uuid.uuid4())
