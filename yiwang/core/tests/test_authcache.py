"""授权缓存: tokens, users and grants are cached between requests, yet a revoked token, a
revoked role, "log out everywhere" or a deactivated account is refused by the very next
request — in the same process and in another one — and a scoped API read stays within
its statement budget."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import subprocess

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from yiwang.core import authcache
from yiwang.core.actions.identity import do_logout_everywhere
from yiwang.core.actions.users import do_grant_role, do_revoke_role
from yiwang.core.models import User
from yiwang.core.tests.test_ratelimit_shared import SharedDatabase, _env, _result, _shell

pytestmark = pytest.mark.django_db


def _token(user, scope: str = "org read write") -> str:
    raw = secrets.token_urlsafe(30)
    token = get_access_token_model()(
        user=user, scope=scope, expires=timezone.now() + dt.timedelta(hours=1)
    )
    token._raw_token, token.token = raw, ""
    token.save()
    return raw


@pytest.fixture
def pair(make_staff):
    """A county market department admin (who may see the department's staff) with a
    bearer token, and a member of the department."""
    admin = make_staff("dept_admin", "410823", "market")
    member = make_staff("window_clerk", "410823", "market", phone="13900001111")
    return admin, member, {"HTTP_AUTHORIZATION": f"Bearer {_token(admin)}"}


def _read(client, member, auth) -> int:
    return client.get(f"/api/v1/org/staff/{member.pk}", **auth).status_code


def _statements(fn) -> int:
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries.captured_queries)


def test_a_cached_read_costs_two_statements(pair, django_assert_max_num_queries):
    """The statement budget of an authenticated, scoped API read: one read of the shared
    versions, one query of the row (the token, user and grants come from the cache)."""
    _admin, member, auth = pair
    client = Client()
    assert _read(client, member, auth) == 200
    with django_assert_max_num_queries(2):
        response = client.get(f"/api/v1/org/staff/{member.pk}", **auth)
    assert response.status_code == 200
    row = response.json()
    assert row["id"] == member.pk and row["roles"] == ["window_clerk"]
    assert row["phone"] != "13900001111" and row["phone"].endswith("1111")  # masked


def test_a_revoked_token_is_refused_by_the_next_request(pair):
    admin, member, auth = pair
    client = Client()
    assert [_read(client, member, auth) for _ in range(2)] == [200, 200]
    get_access_token_model().objects.filter(user=admin).delete()
    assert _read(client, member, auth) == 401


def test_a_revoked_role_is_refused_by_the_next_request(pair):
    """Without ``dept_admin`` the admin's reach no longer includes the member: 404, as
    for any record out of scope (existence is not revealed)."""
    admin, member, auth = pair
    client = Client()
    assert _read(client, member, auth) == 200
    do_revoke_role(actor=None, user=admin, role="dept_admin")
    assert _read(client, member, auth) == 404
    do_grant_role(actor=None, user=admin, role="dept_admin")
    assert _read(client, member, auth) == 200


def test_log_out_everywhere_refuses_tokens_and_sessions_at_once(pair):
    admin, member, auth = pair
    bearer, session = Client(), Client()
    session.force_login(admin)
    assert _read(bearer, member, auth) == 200
    assert _read(session, member, {}) == 200
    do_logout_everywhere(actor=admin, user=admin)
    assert _read(bearer, member, auth) == 401
    assert _read(session, member, {}) in (401, 403)


@pytest.mark.parametrize("how", ["save", "update"])
def test_a_deactivated_account_is_refused_at_once(pair, how):
    """Whether the account is saved (admin) or changed by a bulk update, which sends no
    signal: the user queryset invalidates what it changes."""
    admin, member, auth = pair
    client = Client()
    assert _read(client, member, auth) == 200
    if how == "save":
        admin.is_active = False
        admin.save()
    else:
        User.objects.filter(pk=admin.pk).update(is_active=False)
    assert _read(client, member, auth) == 401


def test_a_session_sees_a_role_change_at_once(pair):
    admin, member, _auth = pair
    client = Client()
    client.force_login(admin)
    assert _read(client, member, {}) == 200
    do_revoke_role(actor=None, user=admin, role="dept_admin")
    assert _read(client, member, {}) == 404


def test_a_lost_version_reads_as_a_change(pair):
    """A version evicted from the shared store (cache culled, Redis restarted) can never
    let an old entry pass: the entry's stamp no longer matches and it is reloaded — here
    after the token was removed behind the platform's back (raw SQL, no signal)."""
    admin, member, auth = pair
    client = Client()
    assert _read(client, member, auth) == 200
    table = get_access_token_model()._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE user_id = %s", [admin.pk])
    assert _read(client, member, auth) == 200  # still cached: nothing said it changed
    cache.clear()
    assert _read(client, member, auth) == 401


def test_an_expired_token_is_refused_from_the_cache(pair, clock):
    _admin, member, auth = pair
    client = Client()
    assert _read(client, member, auth) == 200
    clock.shift(dt.timedelta(hours=2))
    assert _read(client, member, auth) == 401


def test_requests_get_their_own_copy_of_the_user(pair):
    admin, _member, auth = pair
    first = authcache.bearer(auth["HTTP_AUTHORIZATION"].split()[1])
    second = authcache.bearer(auth["HTTP_AUTHORIZATION"].split()[1])
    assert first is not None and second is not None
    assert first.user is not second.user and first.user.pk == second.user.pk == admin.pk
    first.user.full_name = "改过"
    assert second.user.full_name != "改过"


def test_with_the_cache_off_every_request_reads_the_database(pair, settings):
    _admin, member, auth = pair
    settings.YIWANG = {**settings.YIWANG, "AUTH_CACHE_SECONDS": 0}
    client = Client()
    assert _read(client, member, auth) == 200
    assert _statements(lambda: _read(client, member, auth)) > 2


# --- across processes ---

SERVE = """
import json, sys
from django.test import Client
client, auth = Client(), {"HTTP_AUTHORIZATION": "Bearer %(token)s"}
url = "/api/v1/org/staff/%(member)s"
warm = [client.get(url, HTTP_HOST="localhost", **auth).status_code for _ in range(2)]
print(json.dumps(warm), flush=True)
sys.stdin.readline()  # the other process revokes meanwhile
print(json.dumps(client.get(url, HTTP_HOST="localhost", **auth).status_code), flush=True)
"""

REVOKE = """
from yiwang.core.actions.users import do_revoke_role
from yiwang.core.models import User
do_revoke_role(actor=None, user=User.objects.get(pk=%(admin)s), role="dept_admin")
print("{}")
"""


def _last_line(proc: subprocess.Popen) -> str:
    """The next line the process prints that is ours (the shell may print a banner)."""
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line or line.startswith(("[", "{")) or line.strip().isdigit():
            return line


@pytest.mark.slow
@pytest.mark.real_clock
@pytest.mark.django_db(transaction=True)
def test_a_role_revoked_in_another_process_is_refused_at_once(make_staff, tmp_path, settings):
    """Process A has the token, user and grants cached; process B revokes the role; A's
    very next request is refused (a per-process cache alone would still say 200)."""
    admin = make_staff("dept_admin", "410823", "market")
    member = make_staff("window_clerk", "410823", "market")
    token = _token(admin)
    db = SharedDatabase(tmp_path)
    db.push()
    env = _env(db, settings, YIWANG_ALLOWED_HOSTS="localhost")
    serving = _shell(SERVE % {"token": token, "member": member.pk}, env, stdin=subprocess.PIPE)
    assert json.loads(_last_line(serving)) == [200, 200], serving.stderr.read()
    assert _result(_shell(REVOKE % {"admin": admin.pk}, env)) == {}
    serving.stdin.write("go\n")
    serving.stdin.flush()
    after = _last_line(serving)
    serving.wait(timeout=60)
    assert after and json.loads(after) == 404, serving.stderr.read()
