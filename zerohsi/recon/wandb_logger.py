"""W&B logging for the frame loop: Lightning's WandbLogger speaks Fabric's logger interface.

Offline by default (``wandb.mode: offline``): runs are written under the run folder and nothing is sent unless the
user sets ``wandb.mode=online``.
"""

from __future__ import annotations


def WandbFabricLogger(*, project: str, name: str, group: str | None, mode: str, save_dir: str):  # noqa: N802
    from lightning.pytorch.loggers import WandbLogger

    return WandbLogger(project=project, name=name, group=group, save_dir=save_dir, mode=mode)
