"""zerohsi-cogvideox: CogVideoX image-to-video, and any diffusers image-to-video pipeline by short name, run from a
weights folder the user already has on disk (never downloaded)."""
