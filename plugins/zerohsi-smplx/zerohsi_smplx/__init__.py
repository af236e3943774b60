"""SMPL-X / SMPL body backend for zerohsi. The model files are licensed: get them from https://smpl-x.is.tue.mpg.de
(SMPL: https://smpl.is.tue.mpg.de) and point the backend's ``model_path`` at the folder holding them."""
