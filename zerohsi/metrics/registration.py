"""Built-in metrics (import-light: each factory imports its module when built).

Keys and units: clip_score (100·cos), clip_consistency (cos), diversity (m), pene_mean / pene_max (m, summed over
body vertices per frame), pene_pct (fraction of frames), foot_sliding (mm), contact (fraction of frames),
obj_pene_cm (cm), mpjpe_mm / pa_mpjpe_mm, root_err_cm, orient_err_deg, obj_rot_err_deg / obj_transl_err_cm,
cam_rot_err_deg / cam_transl_err_cm, mask_iou_human / mask_iou_object (0..1).
"""

from __future__ import annotations

from zerohsi.metrics import configs
from zerohsi.plugins.lazy import lazy


def register(register) -> None:
    register("clip_score", lazy("zerohsi.metrics.clip:ClipScore"), config=configs.ClipConfig,
             description="100 x mean cosine of prompt and frame CLIP embeddings (local open_clip weights).")
    register("clip_consistency", lazy("zerohsi.metrics.clip:ClipConsistency"), config=configs.ClipConfig,
             description="Mean cosine of adjacent frames' CLIP image embeddings.")
    register("diversity", lazy("zerohsi.metrics.diversity:Diversity"),
             description="Mean per-joint distance (m) to the other seeds of the same instance.")
    register("penetration", lazy("zerohsi.metrics.penetration:ScenePenetration"),
             config=configs.PenetrationConfig,
             description="DIMOS scene penetration of body vertices: pene_mean, pene_max (m), pene_pct.")
    register("foot_sliding", lazy("zerohsi.metrics.foot_sliding:FootSliding"),
             config=configs.FootSlidingConfig,
             description="NeMF/CHOIS foot sliding of ankles and toes (mm).")
    register("contact", lazy("zerohsi.metrics.contact:HandObjectContact"), config=configs.ContactConfig,
             description="CHOIS hand-object contact ratio (hand within 5 cm of the object surface).")
    register("object_penetration", lazy("zerohsi.metrics.penetration:ObjectPenetration"),
             config=configs.ObjectPenetrationConfig,
             description="CHOIS hand penetration into the object (cm).")
    register("mpjpe", lazy("zerohsi.metrics.fidelity:JointError"),
             description="MPJPE and PA-MPJPE (mm) against the ground truth.")
    register("root_error", lazy("zerohsi.metrics.fidelity:RootError"),
             description="Pelvis position error (cm) against the ground truth.")
    register("orient_error", lazy("zerohsi.metrics.fidelity:OrientError"),
             description="Global orientation error (deg) against the ground truth.")
    register("object_error", lazy("zerohsi.metrics.fidelity:ObjectError"),
             description="Object rotation (deg) and translation (cm) error against the ground truth.")
    register("camera_error", lazy("zerohsi.metrics.fidelity:CameraError"),
             description="Camera rotation (deg) and centre (cm) error against the ground truth.")
    register("mask_iou", lazy("zerohsi.metrics.fidelity:MaskIoU"),
             description="Mean IoU of the segmenter's masks against the true masks.")
