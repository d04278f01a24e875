"""The other tools' documented settings, one each, written as their docs show them."""

from __future__ import annotations

from pathlib import Path

from blastdoor.inventory import scan

ENVS = {"prod": {"aws_profiles": ["prod*"]}}


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_managed_settings_are_the_machine_scope(tmp_path: Path) -> None:
    _write(tmp_path, {
        "system/etc/claude-code/managed-settings.json":
            '{\n  "permissions": {\n    "defaultMode": "bypassPermissions"\n  }\n}\n',
        "home/.aws/config": "[profile prod-admin]\nregion = us-east-1\n",
    })  # fmt: skip
    report = scan([], home=str(tmp_path / "home"), environments=ENVS, system=str(tmp_path / "system"))
    (managed,) = [a for a in report.agents if a.scope == "managed"]
    assert managed.tier == 1 and managed.id == "claude-code@managed"
    finding = next(f for f in report.findings if f.agent == managed.id and f.rule == "unrestricted-execution")
    assert finding.line == 3 and finding.severity == "critical"


def test_each_tool_s_auto_approval_is_found_with_its_line(tmp_path: Path) -> None:
    _write(tmp_path, {
        "home/.gemini/policies/team.toml":
            '[[rule]]\ntoolName = "read_file"\ndecision = "allow"\n\n'
            '[[rule]]\ntoolName = "run_shell_command"\ndecision = "allow"\npriority = 100\n',
        "home/.config/goose/config.yaml": "GOOSE_PROVIDER: anthropic\nGOOSE_MODE: auto\nextensions:\n"
            "  developer:\n    enabled: true\n    type: builtin\n",
        "home/.aider.conf.yml": "model: sonnet\nyes-always: true\n",
        "repo/opencode.json": '{\n  "$schema": "https://opencode.ai/config.json",\n  "model": "x"\n}\n',
        "home/.config/Claude/claude_desktop_config.json":
            '{\n  "mcpServers": {\n    "filesystem": {\n      "command": "npx",\n'
            '      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/"]\n    }\n  }\n}\n',
        "home/.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json":
            '{\n  "mcpServers": {\n    "pg": {\n      "command": "npx",\n'
            '      "args": ["@modelcontextprotocol/server-postgres"],\n      "autoApprove": ["query"]\n    }\n  }\n}\n',
        "home/.codeium/windsurf/mcp_config.json": '{"mcpServers": {}}',
        "home/.continue/config.yaml":
            "name: a\nmcpServers:\n  - name: sqlite\n    command: uvx\n    args: [mcp-server-sqlite]\n",
    })  # fmt: skip
    report = scan([str(tmp_path / "repo")], home=str(tmp_path / "home"), environments=ENVS, system=str(tmp_path))
    by_tool = {a.tool: a for a in report.agents}
    assert set(by_tool) >= {"gemini", "goose", "aider", "opencode", "claude-desktop", "cline", "windsurf", "continue"}
    gemini = next(s for s in by_tool["gemini"].scopes if s.kind == "shell-any")
    assert gemini.line == 5  # the second [[rule]]
    assert [s.line for s in by_tool["goose"].scopes if s.kind == "bypass"] == [2]
    assert [s.line for s in by_tool["aider"].scopes if s.kind == "bypass"] == [2]
    assert any(s.kind == "bypass" for s in by_tool["opencode"].scopes)  # opencode allows all by default
    assert by_tool["claude-desktop"].mcp_servers == ["filesystem"]
    assert any(s.setting == "mcp:filesystem:w" for s in by_tool["claude-desktop"].scopes)
    cline = [s for s in by_tool["cline"].scopes if s.kind == "mcp-auto"]
    assert cline and cline[0].line == 6
    assert by_tool["continue"].mcp_servers == ["sqlite"]
    assert {a.tool: a.tier for a in report.agents}["goose"] == 2


def test_installed_binaries_and_extensions(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "claude").write_text("#!/bin/sh\n")
    (bin_dir / "claude").chmod(0o755)
    (tmp_path / "home" / ".vscode" / "extensions" / "github.copilot-chat-0.31.2").mkdir(parents=True)
    (tmp_path / "home" / ".vscode" / "settings.json").mkdir(parents=True)
    _write(tmp_path, {"repo/.vscode/mcp.json": '{"servers": {"gh": {"url": "https://api.githubcopilot.com/mcp/"}}}'})
    from blastdoor.inventory import installed

    found = installed(str(tmp_path / "home"), str(bin_dir))
    assert {"tool": "claude-code", "kind": "binary", "name": "claude", "path": str(bin_dir / "claude"),
            "version": ""} in found  # fmt: skip
    assert any(b["tool"] == "copilot" and b["version"] == "0.31.2" for b in found)
    report = scan([str(tmp_path / "repo")], home=str(tmp_path / "home"), system=str(tmp_path), path_env=str(bin_dir))
    (copilot,) = [a for a in report.agents if a.tool == "copilot"]
    assert copilot.version == "0.31.2" and copilot.mcp_servers == ["gh"]


def test_credentials_of_every_kind_resolve_to_their_environment(tmp_path: Path) -> None:
    envs = {
        "prod": {"gcp_projects": ["acme-prod*"], "azure_subscriptions": ["Production*"], "hosts": ["*.prod.acme.io"],
                 "kube_contexts": ["*prod*"]},
    }  # fmt: skip
    _write(tmp_path, {
        "home/.config/gcloud/configurations/config_default": "[core]\naccount = me@acme.io\nproject = acme-prod-42\n",
        "home/.config/gcloud/configurations/config_dev": "[core]\nproject = acme-dev\n",
        "home/.azure/azureProfile.json": '\ufeff{"subscriptions": [\n  {"id": "0000-1111", "name": "Production EU",'
            ' "isDefault": true},\n  {"id": "2222-3333", "name": "Sandbox"}\n]}',
        "home/.netrc": "machine api.prod.acme.io login me password s3cr3t-netrc\nmachine example.com login x\n",
        "home/.ssh/config": "Host bastion\n  HostName bastion.prod.acme.io\n  User ops\n",
        "home/.ssh/id_rsa": "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        "home/.ssh/id_rsa.pub": "ssh-rsa AAAA me\n",
        "home/.kube/config": "contexts:\n- name: eks-prod\n  context:\n    cluster: c\n",
    })  # fmt: skip
    report = scan([], home=str(tmp_path / "home"), environments=envs, system=str(tmp_path))
    found = {(c.kind, c.name): (c.env, c.line) for c in report.credentials}
    assert found[("gcloud-config", "default:acme-prod-42")] == ("prod", 3)
    assert found[("gcloud-config", "dev:acme-dev")][0] == "unknown"
    assert found[("az-subscription", "Production EU")][0] == "prod"
    assert found[("az-subscription", "Sandbox")][0] == "unknown"
    assert found[("netrc", "api.prod.acme.io")] == ("prod", 1)
    assert found[("ssh-host", "bastion.prod.acme.io")] == ("prod", 2)
    assert ("ssh-key", "id_rsa") in found and ("ssh-key", "id_rsa.pub") not in found
    assert found[("kube-context", "eks-prod")] == ("prod", 2)
    assert "s3cr3t-netrc" not in str(report.to_dict())
