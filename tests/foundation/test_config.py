import pytest

from zerohsi.config import load_config, to_yaml
from zerohsi.config.loader import load_saved_config, save_config
from zerohsi.errors import ConfigError


def test_paper_preset_has_the_paper_hyperparameters():
    cfg = load_config("paper")
    assert (cfg.tracking.iters, cfg.tracking.lr) == (30, 1e-3)
    assert (cfg.fit.iters, cfg.fit.lr, cfg.fit.root_only_iters) == (300, 1e-2, 30)
    assert (cfg.fit.lambda_dssim, cfg.fit.w_center, cfg.fit.w_depth) == (0.1, 1e-3, 1e-3)
    assert (cfg.fit.color_every, cfg.fit.color_lr) == (5, 1e-5)
    assert cfg.video.num_frames == 51 and cfg.video.fps == 10
    assert cfg.video.generator.name == "kling" and cfg.segmenter.name == "sam2"


def test_extends_chain_and_overrides():
    cfg = load_config("demo", ["fit.iters=7", "seed=3"])
    assert cfg.fit.iters == 7 and cfg.seed == 3
    assert cfg.fit.lambda_dssim == 0.1  # inherited from paper through fast
    assert cfg.video.generator.name == "scripted"


def test_ablation_presets():
    assert load_config("ablations/wo_opt_body").fit.opt_body is False
    assert load_config("ablations/wo_opt_all").fit.opt_all is False


@pytest.mark.parametrize("override,needle", [
    (["fit.itres=3"], "'fit.itres'; did you mean 'iters'"),
    (["trackin.iters=3"], "did you mean 'tracking'"),
    (["fit.iters=many"], "fit.iters"),
    (["fit.iters"], "key=value"),
])
def test_bad_overrides_give_one_sentence(override, needle):
    with pytest.raises(ConfigError) as err:
        load_config("demo", override)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_preset_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="Unknown preset 'nope'"):
        load_config("nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text("fit: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(str(bad))
    typo = tmp_path / "typo.yaml"
    typo.write_text("extends: demo\nfit:\n  lamda_dssim: 0.2\n")
    with pytest.raises(ConfigError, match="lambda_dssim"):
        load_config(str(typo))


def test_resolved_config_round_trips(tmp_path):
    cfg = load_config("demo", ["fit.iters=9"])
    save_config(cfg, tmp_path / "config.yaml")
    again = load_saved_config(tmp_path / "config.yaml")
    assert to_yaml(again) == to_yaml(cfg)


def test_plugin_choice_replaces_role_default():
    cfg = load_config("demo", plugins={"refiner": "temporal_smooth", "video_generator": "file"})
    assert [r.name for r in cfg.refiners] == ["temporal_smooth"]
    assert cfg.video.generator.name == "file"


def test_plugin_choices_keep_their_options_from_overrides_and_preset(tmp_path):
    """`--plugins kling video.generator.options.base_url=...` must reach kling (a run meant for a test server must
    never fall back to the production API), and a preset's options for the chosen component are kept."""
    from zerohsi.config import load_config

    cfg = load_config("demo", ["video.generator.options.base_url=http://127.0.0.1:1",
                               "video.generator.options.mode=pro", "segmenter.options.checkpoint=/x/sam2.pt"],
                      {"video_generator": "kling", "segmenter": "sam2"})
    assert cfg.video.generator.name == "kling"
    assert cfg.video.generator.options == {"base_url": "http://127.0.0.1:1", "mode": "pro"}
    assert cfg.segmenter.options == {"checkpoint": "/x/sam2.pt"}
    preset = tmp_path / "p.yaml"
    preset.write_text("extends: demo\nvideo:\n  generator: {name: kling, options: {mode: pro}}\n")
    assert load_config(str(preset), [], {"video_generator": "kling"}).video.generator.options == {"mode": "pro"}
    # a different component's options do not leak into the chosen one
    assert load_config(str(preset), [], {"video_generator": "scripted"}).video.generator.options == {}
