"""What users look at and take away from a run (import-light: import the submodules you need).

- ``zerohsi.outputs.stage.write_outputs(run_dir, setup, formats=("npz",), overlay=True, orbit=False, report=True)``:
  the pipeline's output stage (overlay.mp4, orbit.mp4, exports/, report.html).
- ``zerohsi.outputs.video``: ``side_by_side``, ``write_side_by_side``,
  ``fit_overlay``, ``render_reconstruction`` / ``render_reconstruction_layers``, ``render_orbit``, ``orbit_cameras``.
- ``zerohsi.outputs.report``: ``build_report(run_dir)``, ``build_sweep_report(folder)`` (self-contained HTML).
- ``zerohsi.outputs.viewer.start_viewer(motion, body_model=..., scene=..., obj=...)``: the viser 3D viewer.
- ``zerohsi.outputs.export``: ``export_motion(motion, body_model, out_dir, fmt, up)`` (fmt in ``FORMATS``: npz, bvh,
  bvh-mixamo, glb, npz-native, bvh-native), ``export_run``; ``export.smpl``: the SMPL-22 retarget.
- ``zerohsi.outputs.motion_preview.write_preview(path, motion, body_model)``: a PNG strip / mp4 of the body.
- ``zerohsi.outputs.run.RunFolder``: lazy access to a run folder's artifacts.
"""
