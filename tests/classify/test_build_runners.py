"""Build and task runners are judged by what their files say they run.

Cases written from the GNU make manual (variables and their flavours, automatic variables, -C/-f/-n,
recursion, include, target-specific variables), npm's run-script docs (pre/post scripts, --), pnpm and
yarn's script shorthand, just's and Task's manuals, tox's and nox's docs, pre-commit's configuration
reference and Procfile runners (honcho, foreman).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from tests.classify._judge import POLICY, classified, judged, ops, part_with, parts

from blastdoor.action import SEVERITY
from blastdoor.classify.runners import plan

INCIDENT_PY = """\
import boto3
boto3.Session(profile_name="prod").client("cloudformation").delete_stack(StackName="ce")
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def makefile(tmp_path: Path, text: str, name: str = "Makefile") -> Path:
    # recipes start with a tab: written here with `>` for readability
    return write(tmp_path / name, textwrap.dedent(text).replace("\n> ", "\n\t"))


def commands(action: object) -> list[str]:
    return [p.command for p in parts(action)]  # type: ignore[arg-type]


# -- the incident, through runners ------------------------------------------------------------------


def test_make_deploy_running_a_boto3_script_is_escalated_with_operation_and_environment(tmp_path: Path) -> None:
    write(tmp_path / "fix.py", INCIDENT_PY)
    makefile(tmp_path, "deploy: check\n> python fix.py\ncheck:\n> @echo ok\n")
    action, decision = judged("make deploy", str(tmp_path))
    assert part_with(action, "aws:cloudformation:DeleteStack").env == "prod"
    assert SEVERITY[decision.verdict] >= SEVERITY["approve"]


def test_npm_script_running_the_aws_cli_in_prod_is_escalated(tmp_path: Path) -> None:
    write(
        tmp_path / "package.json",
        json.dumps({"scripts": {"teardown": "aws cloudformation delete-stack --stack-name ce --profile prod"}}),
    )
    action, decision = judged("npm run teardown", str(tmp_path))
    assert part_with(action, "aws:cloudformation:DeleteStack").env == "prod"
    assert SEVERITY[decision.verdict] >= SEVERITY["approve"]


# -- make ---------------------------------------------------------------------------------------------


def test_make_expands_variables_of_every_flavour(tmp_path: Path) -> None:
    makefile(
        tmp_path,
        """
        PROFILE ?= prod
        STACK := ce
        AWS = aws --profile $(PROFILE)
        FLAGS = --stack-name
        FLAGS += $(STACK)
        deploy:
        > -@$(AWS) cloudformation delete-stack $(FLAGS)
        """,
    )
    action = classified("make deploy", str(tmp_path))
    stack = part_with(action, "aws:cloudformation:DeleteStack")
    assert stack.env == "prod" and "aws:cloudformation/ce" in stack.targets


def test_command_line_and_environment_variables_win_as_in_make(tmp_path: Path) -> None:
    makefile(tmp_path, "PROFILE ?= dev\nclean:\n> aws s3 rb s3://b --force --profile $(PROFILE)\n")
    assert part_with(classified("make clean", str(tmp_path)), "aws:s3:DeleteBucket").env != "prod"
    assert part_with(classified("make clean PROFILE=prod", str(tmp_path)), "aws:s3:DeleteBucket").env == "prod"
    env_prod = classified("make clean", str(tmp_path), {"PROFILE": "prod"})
    assert part_with(env_prod, "aws:s3:DeleteBucket").env == "prod"


def test_an_unset_variable_is_empty_as_in_make(tmp_path: Path) -> None:
    makefile(tmp_path, "clean:\n> rm -rf $(BUILD_DIR)/\n")
    assert "wipe" in classified("make clean", str(tmp_path)).effects


def test_prerequisites_run_first_and_the_default_goal_is_the_first_target(tmp_path: Path) -> None:
    makefile(tmp_path, "all: build test\nbuild:\n> echo build\ntest:\n> rm -rf ./dist\n.PHONY: all\n")
    action = classified("make", str(tmp_path))
    assert commands(action)[1:] == ["echo build", "rm -f -r ./dist"]
    makefile(tmp_path, ".DEFAULT_GOAL := wipe\nall:\n> echo hi\nwipe:\n> rm -rf /\n")
    assert "wipe" in classified("make", str(tmp_path)).effects


def test_automatic_variables_target_specific_variables_and_patterns(tmp_path: Path) -> None:
    makefile(
        tmp_path,
        """
        deploy-%: ENVNAME = prod
        deploy-%:
        > aws cloudformation delete-stack --stack-name $* --profile $(ENVNAME)
        nuke: /etc
        > rm -rf $<
        """,
    )
    action = classified("make deploy-web nuke", str(tmp_path))
    assert "aws:cloudformation/web" in part_with(action, "aws:cloudformation:DeleteStack").targets
    assert "wipe" in action.effects


def test_minus_c_minus_f_include_and_recursion(tmp_path: Path) -> None:
    makefile(tmp_path, "include rules.mk\nall:\n> $(MAKE) -C sub go\n")
    makefile(tmp_path, "x:\n> echo included\n", "rules.mk")
    (tmp_path / "sub").mkdir()
    makefile(tmp_path / "sub", "go:\n> rm -rf /\n")
    assert "wipe" in classified("make all", str(tmp_path)).effects
    assert "wipe" in classified(f"make -C {tmp_path}/sub go", "/home/dev").effects
    makefile(tmp_path, "go:\n> git push --force origin main\n", "other.mk")
    assert "irreversible" in classified("make -f other.mk go", str(tmp_path)).effects
    assert "irreversible" in classified("make --file=other.mk", str(tmp_path)).effects


def test_dry_run_runs_only_recursive_make_lines(tmp_path: Path) -> None:
    makefile(tmp_path, "x:\n> rm -rf /\n")
    assert set(classified("make -n x", str(tmp_path)).effects) == {"read"}
    assert set(classified("make --dry-run x", str(tmp_path)).effects) == {"read"}
    makefile(tmp_path, "x:\n> +rm -rf /\n")
    assert "wipe" in classified("make -n x", str(tmp_path)).effects


def test_shell_function_commands_run_and_their_values_are_computed(tmp_path: Path) -> None:
    makefile(tmp_path, "TARGET := $(shell cat target.txt)\nx:\n> rm -rf $(TARGET)\n")
    p = plan("make", ["x"], str(tmp_path))
    assert p.steps[0].text == "cat target.txt"
    action = classified("make x", str(tmp_path))
    assert "unknown" in action.effects or "?" in action.targets


def test_a_variable_set_differently_under_a_conditional_is_computed(tmp_path: Path) -> None:
    makefile(
        tmp_path,
        """
        ifeq ($(CI),true)
        PROFILE = prod
        else
        PROFILE = dev
        endif
        x:
        > aws s3 rb s3://b --force --profile $(PROFILE)
        """,
    )
    assert "unknown" in classified("make x", str(tmp_path)).effects


def test_a_makefile_that_cannot_be_read_is_unknown(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_bytes(b"\x00\x01binary")
    assert "unknown" in classified("make", str(tmp_path)).effects
    (tmp_path / "Makefile").unlink()
    (tmp_path / "Makefile").mkdir()
    assert "unknown" in classified("make", str(tmp_path)).effects


def test_a_makefile_written_by_the_same_command_is_unknown(tmp_path: Path) -> None:
    makefile(tmp_path, "x:\n> echo hi\n")
    cmd = "printf 'x:\\n\\trm -rf /\\n' > Makefile && make x"
    assert "unknown" in classified(cmd, str(tmp_path)).effects


# -- package.json scripts -----------------------------------------------------------------------------


def package(tmp_path: Path, scripts: dict[str, str]) -> None:
    write(tmp_path / "package.json", json.dumps({"name": "x", "scripts": scripts}))


def test_npm_runs_pre_and_post_scripts_and_passes_arguments(tmp_path: Path) -> None:
    package(tmp_path, {"predeploy": "echo pre", "deploy": "git push", "postdeploy": "rm -rf ./dist"})
    action = classified("npm run deploy -- --force origin main", str(tmp_path))
    assert "irreversible" in action.effects  # git push --force
    assert "rm -f -r ./dist" in commands(action)
    assert "rm -f -r ./dist" not in commands(classified("npm run deploy --ignore-scripts", str(tmp_path)))


@pytest.mark.parametrize(
    "command", ["npm test", "npm t", "npm run-script test", "pnpm test", "yarn test", "pnpm run test"]
)
def test_test_scripts(tmp_path: Path, command: str) -> None:
    package(tmp_path, {"test": "rm -rf /"})
    assert "wipe" in classified(command, str(tmp_path)).effects


@pytest.mark.parametrize(
    "command", ["pnpm nuke", "yarn nuke", "bun run nuke", "npm --prefix . run nuke", "yarn --cwd . nuke"]
)
def test_pnpm_and_yarn_run_scripts_by_name(tmp_path: Path, command: str) -> None:
    package(tmp_path, {"nuke": "rm -rf ~"})
    assert "wipe" in classified(command, str(tmp_path)).effects


def test_npm_start_defaults_to_node_server_js(tmp_path: Path) -> None:
    package(tmp_path, {})
    write(tmp_path / "server.js", "require('fs').rmSync('/', {recursive: true})\n")
    assert "wipe" in classified("npm start", str(tmp_path)).effects


def test_package_managers_own_commands_keep_their_judgment(tmp_path: Path) -> None:
    package(tmp_path, {"test": "jest"})
    assert "deploy" in classified("npm publish", str(tmp_path)).effects
    assert set(classified("npm run", str(tmp_path)).effects) == {"read"}
    assert set(classified("npm run missing", str(tmp_path)).effects) == {"read"}


def test_broken_package_json_and_workspaces_are_unknown(tmp_path: Path) -> None:
    write(tmp_path / "package.json", "{not json")
    assert "unknown" in classified("npm run build", str(tmp_path)).effects
    package(tmp_path, {"build": "tsc"})
    assert "unknown" in classified("npm run build --workspaces", str(tmp_path)).effects
    assert "unknown" in classified("pnpm -r build", str(tmp_path)).effects


# -- just, task -----------------------------------------------------------------------------------------


def test_just_recipes_with_parameters_dependencies_and_variables(tmp_path: Path) -> None:
    write(
        tmp_path / "justfile",
        """
        profile := "prod"

        default: build

        build:
            @echo building

        teardown stack: build
            -aws cloudformation delete-stack --stack-name {{stack}} --profile {{profile}}
        """,
    )
    assert set(classified("just", str(tmp_path)).effects) == {"read"}
    action = classified("just teardown web", str(tmp_path))
    stack = part_with(action, "aws:cloudformation:DeleteStack")
    assert stack.env == "prod" and "aws:cloudformation/web" in stack.targets
    assert set(classified("just --list", str(tmp_path)).effects) == {"read"}


def test_just_shebang_recipes_are_programs(tmp_path: Path) -> None:
    body = "nuke:\n    #!/usr/bin/env python3\n    import shutil\n    if True:\n        shutil.rmtree('/')\n"
    write(tmp_path / "justfile", body)
    assert "wipe" in classified("just nuke", str(tmp_path)).effects


@pytest.mark.parametrize(
    ("files", "command"),
    [
        ({"fix.py": INCIDENT_PY}, "python fix.py"),
        ({"fix.py": INCIDENT_PY, "Makefile": "deploy:\n\tpython fix.py\n"}, "make deploy"),
        ({"fix.py": INCIDENT_PY, "package.json": '{"scripts": {"deploy": "python fix.py"}}'}, "npm run deploy"),
        (
            {
                "del.mjs": "import { CloudFormationClient, DeleteStackCommand }"
                " from '@aws-sdk/client-cloudformation';\n"
                "await new CloudFormationClient({ profile: 'prod' })"
                ".send(new DeleteStackCommand({ StackName: 'ce' }));\n"
            },
            "node del.mjs",
        ),
    ],
)
def test_the_incident_in_blastdoor_explain(tmp_path: Path, files: dict[str, str], command: str) -> None:
    """The issue's acceptance: each form is escalated with the operation and environment in `explain`."""
    import subprocess
    import sys

    for name, text in files.items():
        write(tmp_path / name, text)
    write(tmp_path / "blastdoor.yaml", POLICY)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "blastdoor.cli.main",
            "explain",
            "--json",
            "--no-cache",
            "--cwd",
            str(tmp_path),
            "-c",
            command,
        ],
        capture_output=True,
        text=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    out = json.loads(proc.stdout)
    found = [(p.get("operation"), p.get("env")) for p in out["parts"]]
    assert ("aws:cloudformation:DeleteStack", "prod") in found, (found, proc.stderr[-500:])
    assert out["decision"]["verdict"] in ("approve", "deny"), out["decision"]


def test_task_runs_deps_cmds_and_called_tasks_with_vars(tmp_path: Path) -> None:
    write(
        tmp_path / "Taskfile.yml",
        """
        version: '3'
        vars:
          PROFILE: prod
        tasks:
          default:
            deps: [lint]
            cmds:
              - task: destroy
                vars: {STACK: web}
          lint: echo lint
          destroy:
            cmds:
              - cmd: aws cloudformation delete-stack --stack-name {{.STACK}} --profile {{.PROFILE}}
        """,
    )
    action = classified("task", str(tmp_path))
    stack = part_with(action, "aws:cloudformation:DeleteStack")
    assert stack.env == "prod" and "aws:cloudformation/web" in stack.targets
    assert set(classified("task --list", str(tmp_path)).effects) == {"read"}


def test_a_taskfile_that_does_not_parse_is_unknown(tmp_path: Path) -> None:
    write(tmp_path / "Taskfile.yml", "tasks: [unclosed\n")
    assert "unknown" in classified("task build", str(tmp_path)).effects


# -- tox, nox, pre-commit, Procfile -------------------------------------------------------------------


def test_tox_environments_commands(tmp_path: Path) -> None:
    write(
        tmp_path / "tox.ini",
        """
        [tox]
        envlist = py{311,312}, clean

        [testenv]
        commands = pytest {posargs:tests}

        [testenv:clean]
        commands_pre = echo cleaning
        commands = rm -rf {toxinidir}/..
        """,
    )
    assert "wipe" not in classified("tox -e py311", str(tmp_path)).effects
    assert "delete" in classified("tox -e clean", str(tmp_path)).effects
    assert "delete" in classified("tox", str(tmp_path)).effects  # every environment of the envlist
    assert set(classified("tox list", str(tmp_path)).effects) == {"read"}


def test_nox_sessions_commands(tmp_path: Path) -> None:
    write(
        tmp_path / "noxfile.py",
        """
        import nox

        @nox.session
        def tests(session):
            session.install("pytest")
            session.run("pytest")

        @nox.session(name="release")
        def release(session):
            session.run("git", "push", "--force", "origin", "main")
        """,
    )
    assert "irreversible" not in classified("nox -s tests", str(tmp_path)).effects
    assert "irreversible" in classified("nox -s release", str(tmp_path)).effects
    assert "irreversible" in classified("nox", str(tmp_path)).effects


def test_pre_commit_local_hooks_and_install(tmp_path: Path) -> None:
    write(
        tmp_path / ".pre-commit-config.yaml",
        """
        repos:
          - repo: https://github.com/psf/black
            rev: 24.1.0
            hooks: [{id: black}]
          - repo: local
            hooks:
              - id: wipe
                name: wipe
                entry: rm -rf
                args: [/]
                language: system
        """,
    )
    assert "wipe" in classified("pre-commit run --all-files", str(tmp_path)).effects
    black = classified("pre-commit run black", str(tmp_path))
    assert "wipe" not in black.effects and "write" in black.effects
    assert "persist" in classified("pre-commit install", str(tmp_path)).effects


@pytest.mark.parametrize("command", ["honcho start", "foreman start worker", "honcho start worker"])
def test_procfile_runners(tmp_path: Path, command: str) -> None:
    write(tmp_path / "Procfile", "web: python -m http.server\nworker: rm -rf ~\n")
    assert "wipe" in classified(command, str(tmp_path)).effects
    assert "wipe" not in classified("honcho start web", str(tmp_path)).effects
    assert "wipe" in classified("honcho run rm -rf /", str(tmp_path)).effects


def test_runners_met_without_their_file_keep_the_knowledge_base_judgment(tmp_path: Path) -> None:
    for command in ("make all", "npm test", "just", "task build", "tox"):
        action = classified(command, str(tmp_path))
        assert "unknown" not in action.effects and "write" in action.effects, command
        assert ops(action)


def test_runner_files_that_are_not_regular_files_are_never_read(tmp_path: Path) -> None:
    # /dev/stdin would be the hook's own standard input: never read, unknown
    assert "unknown" in classified("make -f /dev/stdin x <<< 'x:'", str(tmp_path)).effects
    assert "unknown" in classified("python /dev/stdin <<< 'print(1)'", str(tmp_path)).effects


def test_recipes_run_by_another_interpreter_are_unknown(tmp_path: Path) -> None:
    makefile(tmp_path, "x:\n> print('hi')\n")
    assert "unknown" in classified("make SHELL=/usr/bin/python3 x", str(tmp_path)).effects
    makefile(tmp_path, "SHELL := /bin/bash\nx:\n> echo hi\n")
    assert set(classified("make x", str(tmp_path)).effects) == {"read"}


@pytest.mark.parametrize(
    "command", ["npm install", "npm i", "npm ci", "yarn", "yarn install", "pnpm install", "bun install"]
)
def test_installing_a_project_runs_its_own_install_scripts(tmp_path: Path, command: str) -> None:
    package(tmp_path, {"postinstall": "rm -rf ~", "prepare": "echo ready"})
    action = classified(command, str(tmp_path))
    assert "wipe" in action.effects and "write" in action.effects
    assert "wipe" not in classified(f"{command} --ignore-scripts", str(tmp_path)).effects


def test_installing_a_named_package_keeps_the_knowledge_base_judgment(tmp_path: Path) -> None:
    package(tmp_path, {"postinstall": "rm -rf ~"})
    assert "wipe" not in classified("npm install left-pad", str(tmp_path)).effects
    assert "wipe" not in classified("pnpm add left-pad", str(tmp_path)).effects


@pytest.mark.parametrize(
    "command", ["pip install ./pkg", "pip install -e pkg", "pip3 install -e ./pkg[dev]", "uv pip install ./pkg"]
)
def test_installing_a_local_project_runs_its_setup_py(tmp_path: Path, command: str) -> None:
    write(tmp_path / "pkg" / "setup.py", "import shutil\nshutil.rmtree('/')\nfrom setuptools import setup\nsetup()\n")
    assert "wipe" in classified(command, str(tmp_path)).effects
    assert "wipe" not in classified("pip install requests", str(tmp_path)).effects


@pytest.mark.slow
def test_a_recipe_or_script_never_lowers_a_verdict_on_the_whole_open_corpus(tmp_path: Path) -> None:
    """Every open-corpus command as a Makefile recipe (`make x`) and a package.json script (`npm run x`)."""
    from tests.classify._judge import severity
    from tests.classify.test_wrappers import _open_corpus

    checked = 0
    lowered: list[str] = []
    for command in _open_corpus():
        base = severity(command, str(tmp_path))
        (tmp_path / "Makefile").write_text("x:\n\t" + command.replace("$", "$$") + "\n", encoding="utf-8")
        (tmp_path / "package.json").write_text(json.dumps({"scripts": {"x": command}}), encoding="utf-8")
        for form in ("make x", "npm run x"):
            checked += 1
            if severity(form, str(tmp_path)) < base:
                lowered.append(f"{form}: {command}")
    assert checked > 1_500, checked
    assert not lowered, lowered[:20]
