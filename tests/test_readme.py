"""The README's commands and client example work as written."""

from __future__ import annotations

import re

from cw_pophealth.config import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


class TestReadme:
    def test_the_first_commands_are_make_reports_and_make_test(self):
        first_bash = re.search(r"```bash\n(.*?)```", README, flags=re.S).group(1)
        commands = [line.split("#")[0].strip() for line in first_bash.splitlines()]
        assert [c for c in commands if c] == ["make reports", "make test"]

    def test_client_example_runs_against_the_fake_api(self, fake_api, tmp_path, monkeypatch):
        monkeypatch.setenv("FINGERTIPS_API_URL", fake_api.url)
        monkeypatch.setenv("CW_POPHEALTH_DATA", str(tmp_path))
        namespace: dict = {}
        exec(compile(python_blocks(README)[0], "README.md", "exec"), namespace)  # noqa: S102
        latest = namespace["data"].query("period == '2021 - 23' and indicator_id == 90366")
        assert sorted(latest["value"]) == [77.3, 81.7]
