"""The dvc role on a team host: pinned DVC, two owners' workspaces on a shared cache,
host settings kept private and out of git, nothing in the world-writable /var/tmp."""

from conftest import CACHE, CHURN, FRAUD, as_user

testinfra_hosts = ["ansible://dvc-host"]


def test_pinned_dvc_is_on_the_users_path(host):
    assert as_user(host, "alice", "/tmp", "dvc --version").stdout.strip() == "3.67.1"


def test_workspaces_belong_to_their_owners(host):
    for project, owner, git in ((CHURN, "alice", True), (FRAUD, "bob", False)):
        assert host.file(f"{project}/.dvc/config").user == owner
        assert host.file(f"{project}/.git").is_directory == git
    assert "no_scm = True" in host.file(f"{FRAUD}/.dvc/config").content_string


def test_shared_cache_belongs_to_the_team(host):
    cache = host.file(CACHE)
    assert (cache.group, cache.mode) == ("mlteam", 0o2775)
    for member in ("alice", "bob"):
        assert "mlteam" in host.user(member).groups


def test_settings_of_the_host_stay_private_and_out_of_git(host):
    local = host.file(f"{CHURN}/.dvc/config.local")
    assert (local.user, local.mode) == ("alice", 0o600)
    content = local.content_string
    for line in ("analytics = false", "site_cache_dir = /var/cache/efficientai/dvc/alice",
                 f"dir = {CACHE}", "shared = group", "endpointurl = http://127.0.0.1:17090"):
        assert line in content
    project = host.file(f"{CHURN}/.dvc/config").content_string
    assert "autostage = true" in project and "url = s3://dvc-store/churn" in project
    assert "secret_access_key" not in project and "endpointurl" not in project
    ignored = as_user(host, "alice", CHURN, "git check-ignore .dvc/config.local")
    assert ignored.rc == 0, ignored.stderr


def test_file_url_is_stored_as_a_path(host):
    # DVC would read file:///srv/... as a directory named "file:" inside the project.
    assert "url = /srv/dvc/remote/churn" in host.file(f"{CHURN}/.dvc/config").content_string


def test_nothing_in_world_writable_var_tmp(host):
    assert not host.file("/var/tmp/dvc").exists
    for owner in ("alice", "bob"):
        site = host.file(f"/var/cache/efficientai/dvc/{owner}")
        assert (site.user, site.mode) == (owner, 0o700)
