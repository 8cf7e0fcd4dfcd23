"""AU trajectories: about half zero, the full range, smooth, co-occurring, missing runs when asked."""

import numpy as np

from poseau.constants import AUS, MISSING
from poseau.synth.expressions import generate_track


def tracks(n=40, frames=400, **kw):
    rng = np.random.default_rng(0)
    return [generate_track(frames, rng, **kw) for _ in range(n)]


def test_about_half_zero_full_range_and_smooth():
    ts = tracks()
    labels = np.concatenate([t.labels for t in ts])
    nonzero = (labels > 0).mean(0)
    assert ((nonzero > 0.35) & (nonzero < 0.7)).all(), nonzero
    for k in range(len(AUS)):
        assert set(np.unique(labels[:, k])) == {0, 1, 2, 3, 4, 5}
    steps = np.concatenate([np.abs(np.diff(t.intensity, axis=0)) for t in ts])
    assert np.median(steps[steps > 0]) < 0.3  # smooth: small changes from frame to frame
    for t in ts:  # labels are the rounded continuous truth
        assert np.array_equal(t.labels, np.clip(np.floor(t.intensity + 0.5), 0, 5))


def test_realistic_co_occurrence():
    x = np.concatenate([t.intensity for t in tracks()])
    corr = np.corrcoef(x.T)
    au6, au12, au1, au4 = (AUS.index(a) for a in ("AU06", "AU12", "AU01", "AU04"))
    assert corr[au6, au12] > 0.5  # cheek raiser with lip corner puller (smiles)
    assert corr[au6, au12] > abs(corr[au1, au12]) + 0.3


def test_missing_runs_and_determinism():
    t = generate_track(300, np.random.default_rng(5), missing_rate=0.1)
    missing = (t.labels == MISSING).all(1)
    assert 0.05 < missing.mean() < 0.25
    runs = int((np.diff(missing.astype(int)) == 1).sum()) + int(missing[0])
    assert runs <= missing.sum() / 4  # whole runs of frames, not scattered ones
    again = generate_track(300, np.random.default_rng(5), missing_rate=0.1)
    assert np.array_equal(t.labels, again.labels) and np.array_equal(t.intensity, again.intensity)
    assert generate_track(300, np.random.default_rng(5), distractors=False).distractors.max() == 0


def test_solo_events_loosen_the_co_occurrences_but_keep_the_active_share():
    tracks = {solo: np.concatenate([generate_track(200, np.random.default_rng(s), solo=solo).intensity
                                    for s in range(30)]) for solo in (0.0, 0.4)}
    r = {solo: np.corrcoef(t.T) for solo, t in tracks.items()}
    smile, frown = (AUS.index("AU06"), AUS.index("AU12")), (AUS.index("AU04"), AUS.index("AU17"))
    assert r[0.4][smile] < r[0.0][smile] - 0.1 and r[0.4][frown] < r[0.0][frown] - 0.1
    assert np.all(np.abs((tracks[0.4] >= 0.5).mean(0) - (tracks[0.0] >= 0.5).mean(0)) < 0.1)
    again = generate_track(50, np.random.default_rng(3), solo=0.4).intensity
    np.testing.assert_array_equal(again, generate_track(50, np.random.default_rng(3), solo=0.4).intensity)


def test_the_active_share_sets_how_often_each_au_moves_and_zero_gives_a_neutral_face():
    share = {a: (np.concatenate([generate_track(100, np.random.default_rng(s), a).labels for s in range(10)]) > 0)
             for a in (0.2, 0.45)}
    assert np.all(share[0.2].mean(0) < share[0.45].mean(0))
    neutral = generate_track(100, np.random.default_rng(0), 0.0)
    assert neutral.labels.max() == 0 and neutral.intensity.max() == 0 and neutral.distractors[:, 0].max() > 0  # blinks
