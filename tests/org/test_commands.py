from io import StringIO

import pytest
from django.core.management import call_command

from tiejun.org.models import ApiToken
from tiejun.org.services import token_authenticate


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_only_the_token(org):
    out, err = run("create", "R1")
    key = out.strip()
    assert out == key + "\n"
    assert err == ""
    assert token_authenticate(key) == org.reps["R1"]


def test_list_shows_tokens_without_keys(org):
    key, _ = run("create", "R1")
    run("create", "R2")
    out, _ = run("list")
    lines = out.strip().splitlines()
    assert len(lines) == 3  # header and two tokens
    assert key.strip() not in out
    assert any(line.startswith(key[:8]) and "\tR1\t" in line for line in lines)
    only_r2, _ = run("list", "R2")
    assert len(only_r2.strip().splitlines()) == 2
    assert "\tR2\t" in only_r2


def test_revoke_revokes_all_of_a_persons_tokens(org):
    first, _ = run("create", "R1")
    second, _ = run("create", "R1")
    kept, _ = run("create", "R2")
    out, _ = run("revoke", "R1")
    assert "2" in out
    assert token_authenticate(first.strip()) is None
    assert token_authenticate(second.strip()) is None
    assert token_authenticate(kept.strip()) == org.reps["R2"]
    listed, _ = run("list", "R1")
    assert all(line.split("\t")[-1] != "-" for line in listed.strip().splitlines()[1:])


@pytest.mark.parametrize("action", ["create", "list", "revoke"])
def test_unknown_employee_exits_2_with_a_message(org, action):
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("token", action, "NOPE", stdout=out, stderr=err)
    assert exit_.value.code == 2
    assert "NOPE" in err.getvalue()
    assert out.getvalue() == ""
    assert not ApiToken.objects.exists()
