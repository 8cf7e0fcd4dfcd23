"""Every public name of the package resolves, and the command line offers a verb per stage."""

import poseau
from poseau.cli import build_parser


def test_public_names_resolve():
    for name in poseau.__all__:
        assert getattr(poseau, name) is not None, name


def test_every_verb_has_a_subcommand():
    verbs = build_parser()._subparsers._group_actions[0].choices
    assert {"synth", "prepare", "train", "evaluate", "mix", "saliency", "report", "demo"} <= set(verbs)
