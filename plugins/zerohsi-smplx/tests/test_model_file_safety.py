"""Poisoned SMPL-family model files must not run code: smplx itself would unpickle them."""

import pickle

import numpy as np
import pytest
from zerohsi_smplx.testing import write_random_smpl_model, write_random_smplx_model

from zerohsi.cli.main import main
from zerohsi.errors import UserError
from zerohsi.plugins import get_host


def _build(folder, model_type, ext="npz"):
    return get_host().build("body_model", "smplx", {"model_path": str(folder), "model_type": model_type, "ext": ext})


def test_poisoned_smpl_pkl_is_refused(tmp_path, payload):
    payload.pickle(tmp_path / "smpl" / "SMPL_NEUTRAL.pkl")
    with pytest.raises(UserError, match="not a plain numpy"):
        _build(tmp_path, "smpl")
    assert not payload.ran()


@pytest.mark.parametrize("model_type,name", [("smplx", "SMPLX"), ("smplh", "SMPLH")])
def test_poisoned_npz_and_pkl_are_refused(tmp_path, payload, model_type, name):
    payload.npz(tmp_path / "a" / model_type / f"{name}_NEUTRAL.npz", v_template=np.zeros((3, 3)))
    with pytest.raises(UserError, match="pickled objects"):
        _build(tmp_path / "a", model_type)
    payload.pickle(tmp_path / "b" / model_type / f"{name}_NEUTRAL.pkl")
    with pytest.raises(UserError, match="not a plain numpy"):
        _build(tmp_path / "b", model_type, ext="pkl")
    assert not payload.ran()


def test_cli_run_with_poisoned_smpl_exits_2(tmp_path, payload, capsys):
    payload.pickle(tmp_path / "smpl" / "SMPL_NEUTRAL.pkl")
    code = main(["run", "demo", "--run-dir", str(tmp_path / "run"), "avatar.body.name=smplx",
                 "avatar.body.options.model_type=smpl", f"avatar.body.options.model_path={tmp_path}"])
    assert code == 2 and not payload.ran()
    assert not (tmp_path / "run").exists()
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_plain_pickle_models_still_load(tmp_path):
    """Official-style pickles (numpy arrays, a scipy sparse regressor) load through the restricted reader."""
    import scipy.sparse

    src = write_random_smpl_model(tmp_path / "src") / "smpl" / "SMPL_NEUTRAL.pkl"
    data = pickle.loads(src.read_bytes())
    data["J_regressor"] = scipy.sparse.csc_matrix(data["J_regressor"])
    (tmp_path / "pk" / "smpl").mkdir(parents=True)
    (tmp_path / "pk" / "smpl" / "SMPL_NEUTRAL.pkl").write_bytes(pickle.dumps(data, protocol=2))
    body = _build(tmp_path / "pk", "smpl")
    assert body(body.rest_params(1)).vertices.shape == (1, 6890, 3)

    src = write_random_smplx_model(tmp_path / "x")
    with np.load(src / "smplx" / "SMPLX_NEUTRAL.npz") as f:
        data = {k: f[k] for k in f.files}
    (tmp_path / "xp" / "smplx").mkdir(parents=True)
    (tmp_path / "xp" / "smplx" / "SMPLX_NEUTRAL.pkl").write_bytes(pickle.dumps(data, protocol=2))
    body = _build(tmp_path / "xp", "smplx", ext="pkl")
    assert body(body.rest_params(1)).vertices.shape == (1, 10475, 3)
