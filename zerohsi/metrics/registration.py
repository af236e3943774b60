"""Built-in metrics (import-light: each factory imports its module when built).

Keys and units: clip_score (100·cos), clip_consistency (cos), diversity (m), pene_mean / pene_max (m, summed over
body vertices per frame), pene_pct (percent of body vertices inside the scene, averaged over frames), pene_frames
(fraction of frames with any vertex inside), foot_sliding (mm), contact (fraction of frames), obj_pene_cm (cm),
mpjpe_mm / pa_mpjpe_mm, root_err_cm, limb_swap_frac (fraction of frames), orient_err_deg, obj_rot_err_deg /
obj_transl_err_cm, cam_rot_err_deg / cam_transl_err_cm, mask_iou_human / mask_iou_object (0..1).

Each registration lists the values the metric produces as ``columns``: the tables use them to tell which metric a
column came from (and why it was skipped); a column with ``tables`` is added to those benchmark tables beside the
paper's own columns, which is how a plugin's metric reaches the tables without editing the paper tables file.
"""

from __future__ import annotations

from zerohsi.metrics import configs
from zerohsi.plugins.lazy import lazy


def _col(key: str, label: str, better: str, unit: str = "") -> dict:
    return {"key": key, "label": label, "better": better, "unit": unit}


def register(register) -> None:
    register("clip_score", lazy("zerohsi.metrics.clip:ClipScore"), config=configs.ClipConfig,
             description="100 x mean cosine of prompt and rendered-frame CLIP embeddings (local open_clip weights).",
             columns=[_col("clip_score", "CLIP score", "higher", "100·cos")])
    register("clip_consistency", lazy("zerohsi.metrics.clip:ClipConsistency"), config=configs.ClipConfig,
             description="Mean cosine of adjacent rendered frames' CLIP image embeddings.",
             columns=[_col("clip_consistency", "CLIP cons.", "higher", "cos")])
    register("diversity", lazy("zerohsi.metrics.diversity:Diversity"),
             description="Mean per-joint distance (m) to the other seeds of the same instance.",
             columns=[_col("diversity", "Diversity", "higher", "m")])
    register("penetration", lazy("zerohsi.metrics.penetration:ScenePenetration"),
             config=configs.PenetrationConfig,
             description="Scene penetration: pene_pct (% of body vertices inside, the paper's), pene_frames, "
                         "DIMOS pene_mean / pene_max (m).",
             columns=[_col("pene_pct", "Pene. %", "lower", "%"), _col("pene_mean", "Pene. mean", "lower", "m"),
                      _col("pene_max", "Pene. max", "lower", "m"),
                      _col("pene_frames", "Pene. frames", "lower", "fraction")])
    register("foot_sliding", lazy("zerohsi.metrics.foot_sliding:FootSliding"),
             config=configs.FootSlidingConfig,
             description="NeMF/CHOIS foot sliding of ankles and toes (mm).",
             columns=[_col("foot_sliding", "Foot sliding", "lower", "mm")])
    register("contact", lazy("zerohsi.metrics.contact:HandObjectContact"), config=configs.ContactConfig,
             description="CHOIS hand-object contact ratio (hand within 5 cm of the object surface).",
             columns=[_col("contact", "Contact", "higher", "fraction")])
    register("object_penetration", lazy("zerohsi.metrics.penetration:ObjectPenetration"),
             config=configs.ObjectPenetrationConfig,
             description="CHOIS hand penetration into the object (cm).",
             columns=[_col("obj_pene_cm", "Obj. pene.", "lower", "cm")])
    register("mpjpe", lazy("zerohsi.metrics.fidelity:JointError"),
             description="MPJPE and PA-MPJPE (mm) against the ground truth.",
             columns=[_col("mpjpe_mm", "MPJPE", "lower", "mm"), _col("pa_mpjpe_mm", "PA-MPJPE", "lower", "mm")])
    register("root_error", lazy("zerohsi.metrics.fidelity:RootError"),
             description="Pelvis position error (cm) against the ground truth.",
             columns=[_col("root_err_cm", "Root error", "lower", "cm")])
    register("orient_error", lazy("zerohsi.metrics.fidelity:OrientError"),
             description="Global orientation error (deg) against the ground truth.",
             columns=[_col("orient_err_deg", "Orient. error", "lower", "deg")])
    register("limb_swap", lazy("zerohsi.metrics.fidelity:LimbSwap"),
             description="Fraction of frames whose legs or arms are labelled left for right against the ground truth.",
             columns=[_col("limb_swap_frac", "L/R swaps", "lower", "fraction")])
    register("object_error", lazy("zerohsi.metrics.fidelity:ObjectError"),
             description="Object rotation (deg) and translation (cm) error against the ground truth.",
             columns=[_col("obj_rot_err_deg", "Obj. rot. error", "lower", "deg"),
                      _col("obj_transl_err_cm", "Obj. transl. error", "lower", "cm")])
    register("camera_error", lazy("zerohsi.metrics.fidelity:CameraError"),
             description="Camera rotation (deg) and centre (cm) error against the ground truth.",
             columns=[_col("cam_rot_err_deg", "Cam. rot. error", "lower", "deg"),
                      _col("cam_transl_err_cm", "Cam. centre error", "lower", "cm")])
    register("mask_iou", lazy("zerohsi.metrics.fidelity:MaskIoU"),
             description="Mean IoU of the segmenter's masks against the true masks.",
             columns=[_col("mask_iou_human", "Mask IoU (human)", "higher", "0..1"),
                      _col("mask_iou_object", "Mask IoU (object)", "higher", "0..1")])
