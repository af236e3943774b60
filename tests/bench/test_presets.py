"""The paper preset is the paper's setup (SMPL-X, its 21 body joints optimised); paper_anny is the same on anny; the
offline presets stay on anny."""

from __future__ import annotations

import pytest

from zerohsi.config import load_config
from zerohsi.errors import UserError
from zerohsi.plugins import get_host
from zerohsi.provenance import setup_label


def test_paper_preset_uses_smplx_and_the_offline_presets_anny():
    paper = load_config("paper")
    assert paper.avatar.body.name == "smplx" and list(paper.fit.free_joints) == []
    anny = load_config("paper_anny")
    assert anny.avatar.body.name == "anny" and anny.fit.iters == paper.fit.iters and anny.render == paper.render
    for offline in ("fast", "demo"):
        assert load_config(offline).avatar.body.name == "anny"


def test_missing_smplx_files_are_one_sentence(monkeypatch):
    monkeypatch.delenv("ZEROHSI_SMPLX_MODELS", raising=False)
    body = load_config("paper").avatar.body
    with pytest.raises(UserError) as err:
        get_host().build("body_model", body.name, body.options)
    msg = str(err.value)
    assert "SMPLX_NEUTRAL" in msg and "\n" not in msg and msg.count(". ") == 0


def test_smplx_body_optimises_its_21_body_joints(tmp_path):
    testing = pytest.importorskip("zerohsi_smplx.testing")
    from zerohsi.recon.fitting import free_pose_mask

    folder = testing.write_random_smplx_model(tmp_path)  # SMPL-X's layout, random numbers
    body = get_host().build("body_model", "smplx", {"model_path": str(folder)})
    pose = body.rest_params(1).body_pose[0]
    assert body.num_body_joints == 21 and pose.numel() == 63
    assert free_pose_mask(body, list(load_config("paper").fit.free_joints), pose) is None  # all 21 free


def test_anny_preset_is_labelled_in_tables():
    prov = {"generator": "kling", "test_signal": False, "segmenter": "sam2", "pose_initializer": "smpler_x",
            "body_model": "anny", "scene_source": "real capture", "image_size": [512, 384], "num_frames": 51,
            "tracking_iters": 30, "fit_iters": 300, "root_only_iters": 30, "opt_body": True, "opt_all": True,
            "refiners": []}
    assert setup_label(prov, "paper_anny") == (False, "anny")
    assert setup_label({**prov, "body_model": "smplx"}, "paper") == (True, "")
