"""Errors: classes, statuses, messages without secrets, arguments refused before any call."""

from __future__ import annotations

import pytest


def test_wrong_secret_is_an_authentication_error_without_the_secret(lt, emulator, repo):
    secret = "not-the-secret-" + "x" * 20
    client = lt.Client(host=emulator["endpoint"], username=emulator["access_key_id"], password=secret)
    with pytest.raises(lt.AuthenticationError) as caught:
        client.upload(repo, "main", "auth/x.bin", b"data")
    assert caught.value.status == 401
    assert isinstance(caught.value, lt.LakeFSError)
    assert secret not in str(caught.value) and emulator["secret_access_key"] not in str(caught.value)
    with pytest.raises(lt.AuthenticationError):
        client.download(repo, "main", "auth/x.bin", "/tmp/never-written")


def test_missing_object_is_not_found(client, repo, tmp_path):
    with pytest.raises(lt_not_found(client)) as caught:
        client.download(repo, "main", "no/such/object", tmp_path / "x")
    assert caught.value.status == 404
    assert "no/such/object" in str(caught.value)
    assert not (tmp_path / "x").exists()
    with pytest.raises(lt_not_found(client)):
        client.read(repo, "main", "no/such/object")
    with pytest.raises(lt_not_found(client)):
        client.read(repo, "main", "no/such/object", offset=5)
    with pytest.raises(lt_not_found(client)):
        client.upload("no-such-repo", "main", "x", b"data")


def lt_not_found(client):
    import lakefs_transfer

    return lakefs_transfer.NotFoundError


@pytest.mark.parametrize("given", ["0", 0, -3, "lots", "auto:x", "auto:999", 100000])
def test_bad_concurrency_is_refused_before_any_call(lt, given):
    # A host nothing listens on: a network call would fail differently.
    client = lt.Client(host="http://127.0.0.1:9", username="a", password="b")
    for call in (
        lambda: client.upload("r", "b", "p", b"data", concurrency=given),
        lambda: client.download("r", "b", "p", "/tmp/x", concurrency=given),
        lambda: client.read("r", "b", "p", concurrency=given),
    ):
        with pytest.raises(lt.ConfigError) as caught:
            call()
        assert isinstance(caught.value, ValueError)
        assert repr(str(given)).strip("'") in str(caught.value) and "concurrency" in str(caught.value)


def test_bad_arguments_name_what_was_wrong(lt, client, repo, tmp_path):
    with pytest.raises(TypeError, match="concurrency must be an int"):
        client.upload(repo, "main", "x", b"d", concurrency=2.5)
    with pytest.raises(TypeError, match="source must be a path"):
        client.upload(repo, "main", "x", 12345)
    with pytest.raises(TypeError, match="binary mode"):
        client.upload(repo, "main", "x", iter(["text"]))
    with pytest.raises(TypeError, match="progress must be a callable"):
        client.upload(repo, "main", "x", b"d", progress=3)
    with pytest.raises(lt.ConfigError, match="part size"):
        client.upload(repo, "main", "x", b"d", part_size=1024)
    with pytest.raises(lt.ConfigError, match="checkpoint needs a file path or bytes"):
        client.upload(repo, "main", "x", iter([b"d"]), checkpoint=tmp_path)
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        client.upload(repo, "main", "x", tmp_path / "nothing-here")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        client.upload(repo, "main", "x", str(tmp_path))
    with pytest.raises(lt.ConfigError):
        lt.Client(host="ftp://example.com", username="a", password="b")
    with pytest.raises(lt.ConfigError, match="range"):
        client.upload(repo, "main", "range/x", b"0123456789")
        list(client.read(repo, "main", "range/x", offset=11))


def test_a_failing_source_stops_the_upload_with_its_exception(client, repo):
    def chunks():
        yield b"x" * 1000
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError, match="the source broke"):
        client.upload(repo, "main", "broken/x", chunks())


def test_from_env_reads_lakectl_variables_then_the_file(lt, env, emulator, monkeypatch, tmp_path, repo):
    client = lt.Client.from_env()
    assert client.host == emulator["endpoint"] + "/api/v1"
    assert client.upload(repo, "main", "env/x", b"abc")["size_bytes"] == 3
    monkeypatch.delenv("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY")
    monkeypatch.delenv("LAKECTL_SERVER_ENDPOINT_URL")
    with pytest.raises(lt.ConfigError) as caught:
        lt.Client.from_env()
    message = str(caught.value)
    assert "LAKECTL_SERVER_ENDPOINT_URL" in message and "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY" in message
    assert "LAKECTL_CREDENTIALS_ACCESS_KEY_ID" not in message and "does not exist" in message
    home = tmp_path / "home"
    home.mkdir()
    (home / ".lakectl.yaml").write_text(
        f"server:\n  endpoint_url: {emulator['endpoint']}\n"
        f"credentials:\n  secret_access_key: {emulator['secret_access_key']}\n"
    )
    client = lt.Client.from_env()
    assert client.upload(repo, "main", "env/y", b"abcd")["size_bytes"] == 4
    assert emulator["secret_access_key"] not in repr(client)
    # A file of the wrong shape is named, as lakefs-cli names it, never with its values.
    (home / ".lakectl.yaml").write_text("credentials:\n  secret_access_key: [hunter2]\n")
    with pytest.raises(lt.ConfigError) as caught:
        lt.Client.from_env()
    message = str(caught.value)
    assert "`credentials.secret_access_key` must be text, not a list" in message
    assert "hunter2" not in message
