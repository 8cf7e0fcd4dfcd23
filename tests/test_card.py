"""The model card says what its recipe did: the render features and training options it used, and no others."""

import dataclasses
import json

from poseau.card import model_card
from poseau.models.shipped import SHIPPED
from poseau.recipes import PretrainConfig


def test_the_card_names_the_render_features_and_training_options_of_its_recipe():
    scores = json.loads(SHIPPED["poseau-au7-v1"].folder.joinpath("scores.json").read_text())
    plain = model_card(dataclasses.replace(PretrainConfig(), wrinkles=0.0, ema=0.0), scores)  # v1's recipe
    rich = model_card(dataclasses.replace(PretrainConfig(), wrinkles=1.5, details=True, degrade=True, ema=0.99),
                      scores)
    for phrase in ("wrinkles and bulges", "beards, fringes, glasses", "blur, noise and JPEG varied",
                   "decay 0.99", "painted and drawn ones only"):
        assert phrase in rich and phrase not in plain, phrase
    assert "--wrinkles 1.5 --details" in rich and "--wrinkles 0.0 --no-details" in plain
    assert "Real videos were used for design" in plain  # and never to train: the card says which
    averaged = model_card(dataclasses.replace(PretrainConfig(), mix="mean"), scores)
    picked = model_card(dataclasses.replace(PretrainConfig(), mix="best"), scores)
    assert "their intensities averaged" in averaged and "mixed per AU" in picked
    assert "rather than the paper's pick per AU, were compared" in averaged and "paper's pick" not in picked
