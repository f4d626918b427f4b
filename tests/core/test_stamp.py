import json

from probelib import core


def test_record_stamps_prints_and_appends_one_line_per_row(tmp_path, capsys):
    out = tmp_path / "rows.jsonl"
    first = core.record({"what": "a", "seconds per step": 0.5}, out)
    core.record({"what": "b"}, out)
    lines = out.read_text().splitlines()
    assert [json.loads(x)["what"] for x in lines] == ["a", "b"]
    assert json.loads(lines[0]) == first
    assert {"date", "machine", "command"} <= set(first) and first["seconds per step"] == 0.5
    assert capsys.readouterr().out.splitlines()[0] == lines[0]


def test_record_without_a_file_only_prints(tmp_path, capsys):
    core.record({"what": "c"})
    assert json.loads(capsys.readouterr().out)["what"] == "c"
    assert list(tmp_path.iterdir()) == []
