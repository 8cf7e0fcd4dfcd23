"""The pieces of training: losses and their gradients, stage freezing, batch order, early stopping, model files."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from poseau.config import ModelConfig, TrainConfig
from poseau.constants import AUS
from poseau.data.preprocess import Preprocessing
from poseau.errors import PoseauError
from poseau.models.checkpoint import load_model, model_record, save_atomic
from poseau.models.model import AUModel
from poseau.train.distributed import World
from poseau.train.losses import euclidean, stage_loss
from poseau.train.optim import epoch_batches, epoch_lr, set_trainable
from poseau.train.splits import Draws, draw_rows, epoch_draw
from poseau.train.stopping import EarlyStopping


def batch(n=8, aus=7, seed=0):
    g = torch.Generator().manual_seed(seed)
    mask = torch.rand(n, aus, generator=g) > 0.3
    image = torch.randint(0, 256, (n, 1, 32, 32), generator=g, dtype=torch.uint8)
    return {"image": image, "target": torch.rand(n, aus, generator=g) * mask,
            "weight": mask.float(), "mask": mask, "pose": torch.arange(n) % 3}


def grads(model):
    return {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("kind,stage", [("pose-invariant", "regress"), ("pose-dependent", "routed"),
                                        ("pose-dependent", "joint")])
def test_missing_labels_carry_no_gradient(kind, stage):
    torch.manual_seed(0)
    model = AUModel(ModelConfig(kind=kind, backbone="vgg16", aus=AUS, size=32))
    b = batch()
    seen = []
    for fill in (0.0, 1.0):  # any value under a missing label
        changed = dict(b, target=torch.where(b["mask"], b["target"], torch.full_like(b["target"], fill)))
        model.zero_grad()
        loss, _ = stage_loss(stage, model(changed["image"]), changed, alpha=0.05)
        loss.backward()
        seen.append((loss.item(), grads(model)))
    assert seen[0][0] == pytest.approx(seen[1][0])
    assert seen[0][1].keys() == seen[1][1].keys() and len(seen[0][1]) > 0
    for k in seen[0][1]:
        torch.testing.assert_close(seen[0][1][k], seen[1][1][k])
    pred = torch.rand(8, 7, requires_grad=True)
    euclidean(pred, b["target"], b["weight"]).backward()
    assert (pred.grad[~b["mask"]] == 0).all() and (pred.grad[b["mask"]] != 0).any()


def test_euclidean_is_half_the_mean_square_when_all_labels_are_valid():
    p, y = torch.tensor([[0.2, 0.4], [1.0, 0.0]]), torch.tensor([[0.0, 0.4], [0.5, 0.5]])
    assert euclidean(p, y, torch.ones_like(p)).item() == pytest.approx((0.04 + 0.25 + 0.25) / (2 * 4))


def test_routed_stage_trains_each_frame_on_its_own_groups_regressor():
    torch.manual_seed(0)
    model = AUModel(ModelConfig(kind="pose-dependent", backbone="vgg16", aus=("AU12",), size=32))
    set_trainable(model, "routed")
    b = batch(aus=1)
    b["pose"] = torch.ones(8, dtype=torch.long)  # all level
    loss, _ = stage_loss("routed", model(b["image"]), b, 0.05)
    loss.backward()
    got = grads(model)
    assert any(k.startswith("head.regressors.1.") for k in got)
    assert not any(k.startswith(("head.regressors.0.", "head.regressors.2.")) and v.abs().sum() > 0
                   for k, v in got.items())
    assert not any(k.startswith("head.pose.") for k in got)  # the pose estimator waits for its own stage


def test_pose_stage_trains_the_pose_estimator_alone():
    torch.manual_seed(0)
    model = AUModel(ModelConfig(kind="pose-dependent", backbone="efficientnet_lite0", aus=("AU12",), size=32))
    set_trainable(model, "pose")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    model.train()
    model.backbone.eval()
    b = batch(aus=1)
    stage_loss("pose", model(b["image"]), b, 0.05)[0].backward()
    optimizer.step()
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert changed and all(k.startswith("head.pose.") for k in changed)


def test_epoch_batches_depend_on_seed_stage_and_epoch_and_split_evenly_among_processes():
    one = epoch_batches(100, 32, seed=0, stage=0, epoch=0, world=World())
    assert len(one) == 3 and all(len(b) == 32 for b in one)  # the last, partial batch is dropped
    assert one == epoch_batches(100, 32, 0, 0, 0, World())
    assert one != epoch_batches(100, 32, 0, 0, 1, World()) and one != epoch_batches(100, 32, 0, 1, 0, World())
    halves = [epoch_batches(100, 32, 0, 0, 0, World(rank=r, size=2)) for r in (0, 1)]
    assert [a + b for a, b in zip(*halves, strict=True)] == one and all(len(b) == 16 for h in halves for b in h)


def test_redraw_gives_each_epoch_its_own_draw_of_the_training_rows_from_seed_stage_and_epoch():
    rng = np.random.default_rng(0)
    labels = np.where(rng.random((3000, 7)) < 0.4, rng.integers(1, 6, (3000, 7)), 0)
    store = SimpleNamespace(labels=labels, views=rng.integers(1, 10, 3000))
    train_rows = np.arange(0, 3000, 2)  # the odd rows validate
    first = draw_rows(store, train_rows, AUS, 5, seed=0)
    draws = Draws(train_rows, first, draw_rows(store, train_rows + 1, AUS, 2, seed=1))
    assert epoch_draw(store, draws, AUS, TrainConfig(per_class=5), 0, 3) is first  # the paper: one draw
    config = TrainConfig(per_class=5, redraw=True)
    epochs = [epoch_draw(store, draws, AUS, config, 0, e) for e in range(3)]
    assert all(len(d.rows) == len(first.rows) and np.isin(d.rows, train_rows).all() for d in epochs)
    assert len({tuple(d.rows) for d in epochs}) == 3 and not np.array_equal(epochs[2].rows, first.rows)
    again = epoch_draw(store, draws, AUS, config, 0, 1)
    np.testing.assert_array_equal(again.rows, epochs[1].rows)
    np.testing.assert_array_equal(again.weights, epochs[1].weights)
    assert not np.array_equal(epoch_draw(store, draws, AUS, config, 1, 1).rows, epochs[1].rows)


def test_cosine_schedule_falls_from_lr_to_near_zero_over_the_stage_and_constant_stays():
    cosine = TrainConfig(lr=0.01, max_epochs=4, schedule="cosine")
    assert [round(epoch_lr(cosine, e), 6) for e in range(4)] == [0.01, 0.008536, 0.005, 0.001464]
    assert {epoch_lr(TrainConfig(lr=0.01, max_epochs=4), e) for e in range(4)} == {0.01}
    with pytest.raises(PoseauError, match="schedule='linear'"):
        TrainConfig(schedule="linear")


def test_early_stopping_stops_when_the_validation_loss_rises():
    stop = EarlyStopping(patience=1)
    assert stop.step(0, 1.0) and stop.step(1, 0.5) and not stop.stop
    assert not stop.step(2, 0.6) and stop.stop and stop.best_epoch == 1
    patient = EarlyStopping(patience=2)
    for epoch, loss in enumerate([1.0, 1.1, 0.9, 1.0]):
        patient.step(epoch, loss)
    assert not patient.stop and patient.best == 0.9


@pytest.mark.parametrize("kind", ["pose-invariant", "pose-dependent"])
def test_a_model_file_rebuilds_the_model_alone(tmp_path, kind):
    torch.manual_seed(1)
    prep = Preprocessing(size=64, face_crop=True, crop_scale=1.6, face_detector="haar")
    model = AUModel(ModelConfig(kind=kind, backbone="efficientnet_lite0", aus=("AU06", "AU12"), size=64),
                    preprocessing=prep).eval()
    save_atomic(model_record(model), tmp_path / "m.pt")
    loaded = load_model(tmp_path / "m.pt")
    x = torch.randint(0, 256, (3, 1, 64, 64), dtype=torch.uint8)
    with torch.no_grad():
        for key, value in model(x).items():
            torch.testing.assert_close(loaded(x)[key], value)
    assert loaded.aus == ("AU06", "AU12") and loaded.preprocessing == prep and loaded.spec == model.spec
    intensity, pose = loaded.predict(x[:, 0].numpy())
    np.testing.assert_array_equal(intensity, model(x)["intensity"].detach().numpy() * 5)
    assert (pose is None) == (kind == "pose-invariant")
    with pytest.raises(ValueError, match="takes 64x64"):
        loaded(torch.rand(1, 1, 32, 32))
    with pytest.raises(PoseauError, match="predict takes \\(B, 64, 64\\) uint8 faces .* got float32"):
        loaded.predict(np.zeros((1, 64, 64), np.float32))
    with pytest.raises(PoseauError, match="takes 64x64 input, its preprocessing makes 32x32"):
        AUModel(ModelConfig(size=64, backbone="efficientnet_lite0"), preprocessing=Preprocessing(size=32))


def test_bad_model_files_get_one_clear_error(tmp_path):
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    with pytest.raises(PoseauError, match="junk.pt: not a poseau model file"):
        load_model(tmp_path / "junk.pt")
    with pytest.raises(PoseauError, match="no such poseau model file"):
        load_model(tmp_path / "absent.pt")
    torch.save({"state_dict": {}}, tmp_path / "weights.pt")
    with pytest.raises(PoseauError, match="no model record"):
        load_model(tmp_path / "weights.pt")


def test_stages_must_belong_to_the_model_kind():
    assert TrainConfig().stages_for("pose-dependent") == ("routed", "pose", "joint")
    assert TrainConfig(stages=("joint", "routed")).stages_for("pose-dependent") == ("routed", "joint")
    with pytest.raises(PoseauError, match="do not apply to a pose-invariant"):
        TrainConfig(stages=("routed",)).stages_for("pose-invariant")
    with pytest.raises(PoseauError, match="optimizer"):
        TrainConfig(optimizer="lbfgs")


def test_augmentation_mirrors_and_shifts_each_frame_as_its_row_and_epoch_say():
    import torch.nn.functional as F

    from poseau.train.augment import augment

    images = torch.randint(0, 256, (2, 1, 16, 16), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    rows = torch.tensor([5, 9])
    a = augment(images, rows, seed=0, stage=0, epoch=0)[0]
    assert a.dtype == torch.uint8 and a.shape == images.shape
    torch.testing.assert_close(a, augment(images, rows, seed=0, stage=0, epoch=0)[0])  # the same draw again
    torch.testing.assert_close(a[1:], augment(images[1:], rows[1:], seed=0, stage=0, epoch=0)[0])  # per row
    mirrored = [torch.equal(augment(images, rows, seed=0, stage=0, epoch=e, shift=0)[0][0], images[0].flip(-1))
                for e in range(12)]
    assert 0 < sum(mirrored) < 12  # some epochs mirror the frame, some do not
    padded = F.pad(images[:1].float(), (3,) * 4, mode="replicate")[0]
    for e in range(6):  # every output is the frame moved by at most 3 pixels, mirrored or not
        out = augment(images, rows, seed=0, stage=1, epoch=e)[0][0].float()
        moves = [padded[:, dy:dy + 16, dx:dx + 16] for dy in range(7) for dx in range(7)]
        assert any(torch.equal(out, m) or torch.equal(out, m.flip(-1)) for m in moves)


def face_like(size=64, seed=0):
    """A smooth grey frame with a dark blob and edges: something for blur, noise and rotation to change."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    frame = 120 + 80 * np.sin(6 * xx) * np.cos(4 * yy) - 90 * np.exp(-((xx - 0.5) ** 2 + (yy - 0.6) ** 2) / 0.01)
    return np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)


def test_degrading_is_drawn_per_row_and_epoch_and_ends_equalised_as_preprocessing_does():
    import cv2

    from poseau.train import augment as aug

    images = torch.from_numpy(np.stack([cv2.equalizeHist(face_like(seed=s)) for s in range(4)]))[:, None]
    rows = torch.tensor([3, 7, 11, 13])
    kw = dict(seed=0, stage=0, epoch=0)
    out = aug.augment(images, rows, degrade=True, **kw)[0]
    torch.testing.assert_close(out, aug.augment(images, rows, degrade=True, **kw)[0])  # the same draw again
    torch.testing.assert_close(out[2:], aug.augment(images[2:], rows[2:], degrade=True, **kw)[0])  # per row
    assert not torch.equal(out, aug.augment(images, rows, degrade=True, **{**kw, "epoch": 1})[0])  # per epoch
    plain = aug.augment(images, rows, **kw)[0]
    assert not torch.equal(out, plain)  # degrading changes the frames that mirroring and shifting made
    torch.testing.assert_close(plain, aug.augment(images, rows, degrade=False, **kw)[0])  # and is off by default
    for frame in out[:, 0].numpy():  # equalised again: the grey levels spread over the whole range, evenly
        assert frame.min() < 20 and frame.max() > 235 and abs(np.median(frame) - 127) < 30
    only = aug.augment(images, rows, mirror=False, degrade=True, **kw)[0]  # degrade alone: no mirror, no shift
    rng = np.random.default_rng([0, 0, 0, 3])
    rng.integers(0, 7, 2), rng.random()  # the shift and mirror draws come first, used or not
    torch.testing.assert_close(only[0, 0], torch.from_numpy(aug.degraded(images[0, 0].numpy(), rng)[0]))


def test_each_degradation_appears_in_about_half_the_frames_and_grows_with_its_draw(monkeypatch):
    from poseau.train import augment as aug

    frame = face_like()
    calls = {"GaussianBlur": 0, "imencode": 0}
    for name in calls:
        real = getattr(aug.cv2, name)
        monkeypatch.setattr(aug.cv2, name, lambda *a, _real=real, _name=name, **k: calls.__setitem__(
            _name, calls[_name] + 1) or _real(*a, **k))
    draws = [aug.degraded(frame, np.random.default_rng(s))[0] for s in range(200)]
    assert all(70 <= n <= 130 for n in calls.values()), calls  # blur and JPEG each in about half the frames
    assert min(np.abs(d.astype(int) - cv2_equalised(frame)).mean() for d in draws) > 0  # scale and roll always
    monkeypatch.undo()
    checks = (np.indices((64, 64)).sum(0) // 4 % 2 * 200 + 20).astype(np.uint8)  # sharp edges to blur
    monkeypatch.setattr(aug, "SCALE", (1.0, 1.0))
    monkeypatch.setattr(aug, "ROLL_DEGREES", 0.0)
    seed = next(s for s in range(50) if flags(s) == [True, False, False])  # blur alone
    steps = []
    for sigma in (0.5, 1.0, 2.0):  # ever stronger blur: ever smaller steps between neighbouring pixels
        monkeypatch.setattr(aug, "BLUR_SIGMA", (sigma, sigma))
        out = aug.degraded(checks, np.random.default_rng(seed))[0].astype(int)
        steps.append(np.abs(np.diff(out, axis=1)).mean())
    assert steps[0] > steps[1] > steps[2]


def flags(seed: int) -> list[bool]:
    """Which of blur, noise and JPEG ``augment.degraded`` applies with this seed (its draws, in its order)."""
    rng = np.random.default_rng(seed)
    rng.uniform(), rng.uniform()  # scale and roll
    return (rng.random(3) < 0.5).tolist()


def cv2_equalised(frame):
    import cv2

    return cv2.equalizeHist(frame).astype(int)


def test_the_weight_average_follows_each_step_and_is_applied_only_inside_its_block():
    from poseau.train.averaging import WeightAverage

    layer = torch.nn.BatchNorm1d(2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([1.0, 2.0]))
    average = WeightAverage(layer, decay=0.5)
    expected = torch.tensor([1.0, 2.0])
    for n, value in enumerate((3.0, 5.0, 7.0)):
        with torch.no_grad():
            layer.weight.fill_(value)
        layer.num_batches_tracked += 1
        average.update(layer)
        decay = min(0.5, (1 + n) / (10 + n))  # warmed up: 0.1, 0.18, then 0.5 would wait for step 8
        expected = decay * expected + (1 - decay) * value
    torch.testing.assert_close(average.state["weight"], expected)
    assert int(average.state["num_batches_tracked"]) == 3  # integer buffers are copied, not averaged
    with average.applied(layer):
        torch.testing.assert_close(layer.weight.detach(), expected)
    torch.testing.assert_close(layer.weight.detach(), torch.tensor([7.0, 7.0]))  # its own weights again
    again = WeightAverage(layer, decay=0.5, saved=average.saved())  # continued from a saved average
    torch.testing.assert_close(again.state["weight"], expected)
    assert again.steps == 3


def blob_at(point, size=48):
    yy, xx = np.mgrid[0:size, 0:size]
    return 20 + 220 * np.exp(-((xx - point[0]) ** 2 + (yy - point[1]) ** 2) / (2 * 2.0 ** 2))


def found(frame):
    """Where the bright blob of ``frame`` is: the centroid of a window about its brightest pixel."""
    y, x = np.unravel_index(np.argmax(frame), frame.shape)
    y0, x0 = max(0, y - 4), max(0, x - 4)
    window = frame[y0:y + 5, x0:x + 5].astype(float)
    window = np.clip(window - np.percentile(window, 30), 0, None)
    yy, xx = np.mgrid[y0:y0 + window.shape[0], x0:x0 + window.shape[1]]
    return np.array([(xx * window).sum(), (yy * window).sum()]) / window.sum()


@pytest.mark.parametrize("degrade", [False, True])
def test_landmarks_move_with_their_frame_and_a_mirror_renumbers_them(degrade, monkeypatch):
    from poseau.train import augment as aug

    monkeypatch.setattr(aug, "NOISE_SD", (0.0, 0.0))  # the blob's place, not the noise, is what is tested
    size, eye = 48, np.array([17.0, 20.0])  # landmark 36 (an outer eye corner) in pixels; 45, its mirror, elsewhere
    points = np.full((68, 2), 0.3, np.float32)
    points[36], points[45] = (eye + 0.5) / size, (0.75, 0.4)
    images = torch.from_numpy(blob_at(eye, size).astype(np.uint8))[None, None].repeat(12, 1, 1, 1)
    rows, flipped = torch.arange(12), 0
    out, moved = aug.augment(images, rows, seed=0, stage=0, epoch=0, degrade=degrade,
                             landmarks=torch.from_numpy(points)[None].repeat(12, 1, 1))
    assert moved.shape == (12, 68, 2) and out.shape == images.shape
    for frame, marks in zip(out[:, 0].numpy(), moved.numpy(), strict=True):
        at = found(frame)
        name = 36 if np.linalg.norm(marks[36] * size - 0.5 - at) < 1.0 else 45  # the blob's landmark, renumbered
        flipped += name == 45
        assert np.linalg.norm(marks[name] * size - 0.5 - at) < 1.0
    assert 0 < flipped < 12  # some frames were mirrored, and then the eye corner is called 45
    assert aug.augment(images, rows, seed=0, stage=0, epoch=0)[1] is None


def test_landmark_loss_skips_unknown_landmarks_and_the_pose_stage():
    from poseau.train.losses import landmark_loss, stage_loss

    pred = torch.zeros(2, 68, 2)
    target = torch.full((2, 68, 2), 0.5)
    torch.testing.assert_close(landmark_loss(pred, target), torch.tensor(0.125))  # 0.25 / 2
    target[1] = float("nan")  # the second frame's landmarks are not known
    torch.testing.assert_close(landmark_loss(pred, target), torch.tensor(0.0625))
    batch = {"target": torch.zeros(2, 1), "weight": torch.ones(2, 1), "pose": torch.zeros(2, dtype=torch.long),
             "landmarks": target}
    out = {"intensity": torch.zeros(2, 1), "landmarks": pred, "pose_logits": torch.zeros(2, 3)}
    assert stage_loss("regress", out, batch, 0.05, landmark_weight=2.0)[0].item() == pytest.approx(0.125)
    assert stage_loss("regress", out, batch, 0.05)[0].item() == 0.0
    assert stage_loss("pose", out, batch, 0.05, landmark_weight=2.0)[0].item() == pytest.approx(np.log(3))
