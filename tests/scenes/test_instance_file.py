"""Instance files for a user's own capture: built from the capture's camera files (COLMAP text and binary, the INRIA
trainer's cameras.json, transforms.json) they reproduce the camera in the aligned frame; runs take them through
``instance.file``."""

from __future__ import annotations

import json
import struct
from dataclasses import replace

import pytest
import torch
from synthetic_capture import make_capture

from zerohsi.cameras import Camera, read_capture_cameras
from zerohsi.cli.main import main
from zerohsi.errors import UserError
from zerohsi.scenes.instance_file import load_instance_file
from zerohsi.scenes.realscene import up_rotation

#: the capture's file frame: +Y up, units of half a metre, floor at y = 0.3 (0.6 m after scaling)
UP, SCALE, FLOOR = "+y", 2.0, 0.6
PERSON = (-0.3, -0.6)


@pytest.fixture(scope="module")
def yup_capture(tmp_path_factory):
    """The synthetic capture written in a +Y-up, half-metre frame, and the aligned-frame camera that sees PERSON
    (with an off-centre principal point, as real calibrations have)."""
    from zerohsi.ply import save_ply

    g = make_capture()
    R = up_rotation(UP)  # file -> aligned rotation
    t = torch.tensor([0.0, 0.0, -FLOOR])
    means = ((g.means - t) @ R) / SCALE  # R^T (x - t) / s, row-vector form
    from zerohsi.geometry import matrix_to_quat, quat_multiply

    quats = quat_multiply(matrix_to_quat(R.T).expand_as(g.quats), g.quats)
    folder = tmp_path_factory.mktemp("yup")
    save_ply(folder / "room.ply", replace(g, means=means, quats=quats, scales=g.scales / SCALE))
    cam = Camera.look_at((-2.9, -2.8, 1.5), (PERSON[0], PERSON[1], 0.9), width=640, height=360, fov_deg=62)
    cam.K[0, 2] += 7.5
    cam.K[1, 2] -= 4.25
    cam.K[1, 1] *= 1.01
    # the same camera in the file frame (computed here independently of the code under test)
    c2w = cam.cam_to_world
    file_c2w = torch.eye(4)
    file_c2w[:3, :3] = R.T @ c2w[:3, :3]
    file_c2w[:3, 3] = (R.T @ (c2w[:3, 3] - t)) / SCALE
    file_cam = Camera(cam.K.clone(), torch.linalg.inv(file_c2w), 640, 360)
    return folder, cam, file_cam


def decoy(cam: Camera) -> Camera:
    """Another camera, so --camera-index has something to choose between."""
    w2c = cam.world_to_cam.clone()
    w2c[:3, 3] += 1.0
    return cam.with_pose(w2c)


def write_colmap_text(folder, cams: list[Camera]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["# Camera list", *(f"{i + 1} PINHOLE {c.width} {c.height} " + " ".join(
        f"{v:.9g}" for v in c.to_colmap()["params"]) for i, c in enumerate(cams))]
    (folder / "cameras.txt").write_text("\n".join(lines) + "\n")
    out = ["# Image list with two lines of data per image"]
    for i, c in enumerate(cams):
        d = c.to_colmap()
        out.append(f"{i + 1} " + " ".join(f"{v:.12g}" for v in d["qvec"] + d["tvec"]) + f" {i + 1} img_{i:03d}.jpg")
        out.append("10.5 20.5 -1" if i == 0 else "")
    (folder / "images.txt").write_text("\n".join(out) + "\n")


def write_colmap_binary(folder, cams: list[Camera]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    cb = struct.pack("<Q", len(cams))
    ib = struct.pack("<Q", len(cams))
    for i, c in enumerate(cams):
        d = c.to_colmap()
        fx, fy, cx, cy = d["params"]
        # camera 1 as SIMPLE_RADIAL (f, cx, cy, k) when fx == fy would be exact; PINHOLE keeps fx != fy
        cb += struct.pack("<iiQQ", i + 1, 1, c.width, c.height) + struct.pack("<4d", fx, fy, cx, cy)
        ib += struct.pack("<i7di", i + 1, *d["qvec"], *d["tvec"], i + 1) + f"img_{i:03d}.jpg".encode() + b"\0"
        ib += struct.pack("<Q", 2) + struct.pack("<ddq", 1.0, 2.0, -1) * 2
    (folder / "cameras.bin").write_bytes(cb)
    (folder / "images.bin").write_bytes(ib)


def write_inria(path, cams: list[Camera]) -> None:
    entries = []
    for i, c in enumerate(cams):
        c2w = c.cam_to_world.double()
        entries.append({"id": i, "img_name": f"img_{i:03d}", "width": c.width, "height": c.height,
                        "position": c2w[:3, 3].tolist(), "rotation": c2w[:3, :3].tolist(),
                        "fx": float(c.K[0, 0]), "fy": float(c.K[1, 1])})
    path.write_text(json.dumps(entries))


def build(folder, cameras, index, capsys):
    out = folder / f"inst_{cameras.name}.yaml"
    rc = main(["scenes", "instance", str(folder / "room.ply"), "-o", str(out), "--up", UP, "--scale", str(SCALE),
               "--floor", str(FLOOR), "--voxel", "0.1", "--cameras", str(cameras), "--camera-index", str(index),
               "--person-at", f"{PERSON[0]},{PERSON[1]}", "--size", "640x360", "--prompt", "a person waves",
               "--frames", "20"])
    assert rc == 0, capsys.readouterr().err
    return load_instance_file(out)


def assert_same_camera(a: Camera, b: Camera) -> None:
    assert (a.width, a.height) == (b.width, b.height)
    assert torch.allclose(a.K, b.K, atol=1e-3), (a.K, b.K)
    assert torch.allclose(a.world_to_cam, b.world_to_cam, atol=1e-4), (a.world_to_cam, b.world_to_cam)


@pytest.mark.parametrize("kind", ["colmap_text", "colmap_binary", "inria"])
def test_instance_from_a_capture_camera_file_reproduces_the_camera(yup_capture, kind, capsys):
    folder, cam, file_cam = yup_capture
    cams = [decoy(file_cam), file_cam]
    if kind == "colmap_text":
        write_colmap_text(folder / "text" / "sparse" / "0", cams)
        path = folder / "text"  # the dataset folder: sparse/0 is found below it
    elif kind == "colmap_binary":
        path = folder / "bin"
        write_colmap_binary(path, cams)
    else:
        path = folder / "cameras.json"
        write_inria(path, cams)
    names = [n for n, _ in read_capture_cameras(path)]
    assert names[1] in ("img_001.jpg", "img_001")
    inst = build(folder, path, 1, capsys)
    if kind == "inria":  # that format has no principal point: the trainer assumes the image centre
        cam = Camera(cam.K.clone(), cam.world_to_cam, cam.width, cam.height)
        cam.K[0, 2], cam.K[1, 2] = cam.width / 2, cam.height / 2
    assert_same_camera(inst.camera, cam)  # intrinsics and pose, in the aligned frame
    assert "#1" in inst.camera_source
    assert inst.person.position == PERSON and inst.scene.floor_offset == FLOOR
    # the person faces the camera by default
    eye = cam.center
    import math

    assert inst.person.heading_deg == pytest.approx(
        math.degrees(math.atan2(float(eye[1]) - PERSON[1], float(eye[0]) - PERSON[0])), abs=0.01)


def test_transforms_json_cameras(yup_capture, tmp_path):
    _, _, file_cam = yup_capture
    path = tmp_path / "transforms.json"
    path.write_text(json.dumps({"frames": [{**file_cam.to_nerfstudio(), "file_path": "images/a.png"}]}))
    (name, cam), = read_capture_cameras(path)
    assert name == "images/a.png"
    assert_same_camera(cam, file_cam)


def test_camera_readers_refuse_bad_files(tmp_path):
    with pytest.raises(UserError, match="No COLMAP model"):
        read_capture_cameras(tmp_path)
    (tmp_path / "cameras.bin").write_bytes(b"\1\0\0")
    (tmp_path / "images.bin").write_bytes(b"")
    with pytest.raises(UserError, match="could not be read"):
        read_capture_cameras(tmp_path)
    bad = tmp_path / "cameras.json"
    bad.write_text(json.dumps([{"rotation": [[1, 0, 0]], "position": [0, 0, 0]}]))
    with pytest.raises(UserError, match="INRIA cameras.json"):
        read_capture_cameras(bad)


def test_fitted_camera_keeps_square_pixels_and_crops_about_the_centre():
    cam = Camera(torch.tensor([[1000.0, 0, 750], [0, 1000.0, 500], [0, 0, 1]]), torch.eye(4), 1500, 1000)  # 3:2
    fit = cam.fitted(1280, 720)
    s = 1280 / 1500
    assert fit.K[0, 0] == pytest.approx(1000 * s) and fit.K[1, 1] == pytest.approx(1000 * s)
    assert fit.K[0, 2] == pytest.approx(640) and fit.K[1, 2] == pytest.approx(360)
    # a point at the original image centre stays at the new centre
    uv, _ = fit.project(torch.tensor([[0.0, 0.0, 2.0]]))
    assert uv[0].tolist() == pytest.approx([640, 360])


def test_runs_take_an_instance_file(yup_capture, capsys):
    from zerohsi.config import load_config

    folder, cam, file_cam = yup_capture
    write_inria(folder / "one.json", [file_cam])
    inst = build(folder, folder / "one.json", 0, capsys)
    path = folder / "inst_one.json.yaml"
    cfg = load_config("fast", [f"instance.file={path}"])
    # the file's clip length and camera aspect, unless the command line says otherwise
    assert (cfg.video.num_frames, cfg.video.fps) == (20, 10.0)
    assert (cfg.render.width, cfg.render.height) == (128, 72)
    cfg = load_config("fast", [f"instance.file={path}", "video.num_frames=5"])
    assert cfg.video.num_frames == 5
    from zerohsi.scenes.instance_file import resolve_instance

    instance, scene, obj = resolve_instance(cfg.instance)
    assert obj is None and scene.info["floor_offset"] == FLOOR
    assert_same_camera(instance.camera(640, 360), inst.camera)
    with pytest.raises(UserError, match="render.width=640 render.height=360"):
        instance.camera(640, 640)  # another aspect would crop the exported view
    with pytest.raises(UserError, match="does not exist"):
        load_config("fast", [f"instance.file={folder / 'nope.yaml'}"])


def test_instance_command_refuses_bad_placements_in_one_line(capture_ply, tmp_path, capsys):
    out = tmp_path / "i.yaml"
    base = ["scenes", "instance", str(capture_ply), "-o", str(out), "--voxel", "0.1", "--prompt", "p", "--size",
            "320x180"]
    assert main([*base, "--person-at", "1.5,0", "--camera-look-at", "-2.5,0,1.6,1.5,0,0.9"]) == 2
    err = capsys.readouterr().err
    assert "inside scene geometry" in err and len(err.strip().splitlines()) == 1 and not out.exists()
    assert main([*base, "--person-at", "1.5"]) == 2
    assert "takes 2 comma-separated numbers" in capsys.readouterr().err
    assert main([*base, "--person-at", "0,0"]) == 2
    assert "needs a camera too" in capsys.readouterr().err


def test_instance_with_a_mesh_object(capture_ply, tmp_path, capsys):
    import trimesh

    box = trimesh.creation.box(extents=(0.4, 0.3, 0.5))
    box.export(tmp_path / "box.obj")
    out = tmp_path / "obj.yaml"
    assert main(["scenes", "instance", str(capture_ply), "-o", str(out), "--voxel", "0.1", "--prompt", "p",
                 "--size", "320x180", "--person-at", "-0.3,-0.6", "--camera-look-at", "-2.7,-2.6,1.6,-0.3,-0.6,0.9",
                 "--object", str(tmp_path / "box.obj"), "--object-pose", "0.3,-0.9,0,30"]) == 0, \
        capsys.readouterr().err
    f = load_instance_file(out)
    obj = f.load_object()
    assert obj.dims.tolist() == pytest.approx([0.4, 0.3, 0.5], abs=0.03)
    assert float(obj.sdf(torch.tensor([[0.0, 0.0, 0.25]]))) < 0 < float(obj.sdf(torch.tensor([[0.0, 0.0, 0.8]])))
    inst = f.instance()
    assert inst.kind == "dynamic" and inst.object_pose()[:3, 3].tolist() == pytest.approx([0.3, -0.9, 0.0])
    # the object inside the pillar is refused
    assert main(["scenes", "instance", str(capture_ply), "-o", str(out), "--voxel", "0.1", "--prompt", "p",
                 "--size", "320x180", "--person-at", "-0.3,-0.6", "--camera-look-at", "-2.7,-2.6,1.6,-0.3,-0.6,0.9",
                 "--object", str(tmp_path / "box.obj"), "--object-pose", "1.5,0,0.5"]) == 2
    assert "object is" in capsys.readouterr().err


def test_sitting_start_on_a_picked_seat(tmp_path, anny_body):
    from synthetic_capture import make_capture

    from zerohsi.clip_setup import initial_body
    from zerohsi.ply import save_ply
    from zerohsi.scenes.instance_file import build_instance_file

    save_ply(tmp_path / "bench.ply", make_capture(bench=True))
    f = build_instance_file(tmp_path / "bench.ply", prompt="a person sits", voxel_size=0.1, size=(320, 180),
                            look_at=(-1.5, -1.4, 1.5, -1.5, 1.8, 0.7), person_at=(-1.5, 1.8), sitting=True,
                            base=tmp_path)
    assert f.person.pose == "sitting" and f.person.seat_height == pytest.approx(0.45, abs=0.06)
    assert f.person.heading_deg == pytest.approx(-90.0, abs=0.5)  # facing the camera on the -Y side
    f.save(tmp_path / "sit.yaml")
    g = load_instance_file(tmp_path / "sit.yaml")
    scene = g.load_scene()
    assert scene.target("seat").kind == "sit"
    body = initial_body(g.instance(), scene, anny_body)
    pelvis = body.transl[0]
    assert pelvis[:2].tolist() == pytest.approx([-1.5, 1.8], abs=0.2) and float(pelvis[2]) > 0.45
    with pytest.raises(UserError, match="no seat under"):
        build_instance_file(tmp_path / "bench.ply", prompt="p", voxel_size=0.1, size=(320, 180),
                            look_at=(-1.5, -1.4, 1.5, -1.5, 0.8, 0.7), person_at=(-1.5, 0.8), sitting=True)


def test_suite_instance_on_a_capture_it_does_not_fit_is_refused(tmp_path):
    """`instance.scene_ply=REAL.ply` with a suite instance: the twin's start outside a 2 m tile is caught."""
    from synthetic_capture import make_capture

    from zerohsi.config.schema import InstanceConfig
    from zerohsi.ply import save_ply
    from zerohsi.scenes import clear_cache
    from zerohsi.scenes.instance_file import resolve_instance

    g = make_capture(pillar=False)
    tile = replace(g, means=g.means * torch.tensor([0.35, 0.35, 1.0]) + torch.tensor([8.0, 8.0, 0.0]))
    save_ply(tmp_path / "tile.ply", tile)
    clear_cache()
    with pytest.raises(UserError, match="outside the captured region.*zerohsi scenes instance"):
        resolve_instance(InstanceConfig(name="gym_sit_bench", scene_ply=str(tmp_path / "tile.ply")))


def test_capture_camera_without_a_person_places_them_in_its_view(yup_capture, tmp_path):
    from zerohsi.scenes.instance_file import build_instance_file
    from zerohsi.scenes.placement import placement_problems

    folder, cam, file_cam = yup_capture
    write_inria(tmp_path / "cams.json", [file_cam])
    f = build_instance_file(folder / "room.ply", prompt="p", up=UP, scale=SCALE, floor_offset=FLOOR,
                            voxel_size=0.1, size=(640, 360), cameras=str(tmp_path / "cams.json"), base=tmp_path)
    scene = f.load_scene()
    assert placement_problems(scene, f.camera, f.person.position) == []
    uv, _ = f.camera.project(torch.tensor([[*f.person.position, 0.875]]))
    assert abs(float(uv[0, 0]) - 320) < 80  # near the middle of the view


def test_first_frame_refuses_an_edited_bad_placement_and_writes_nothing(capture_ply, tmp_path, capsys):
    import yaml

    out = tmp_path / "ok.yaml"
    assert main(["scenes", "instance", str(capture_ply), "-o", str(out), "--voxel", "0.1", "--prompt", "p",
                 "--size", "320x180", "--person-at", "-0.3,-0.6", "--camera-look-at",
                 "-2.7,-2.6,1.6,-0.3,-0.6,0.9"]) == 0
    raw = yaml.safe_load(out.read_text())
    raw["person"]["position"] = [1.5, 0.0]  # moved by hand into the pillar
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw))
    capsys.readouterr()
    assert main(["scenes", "first-frame", str(bad), "-o", str(tmp_path / "ff")]) == 2
    err = capsys.readouterr().err.strip()
    assert "inside scene geometry" in err and len(err.splitlines()) == 1 and not (tmp_path / "ff").exists()
    (tmp_path / "junk.yaml").write_text("name: x\n")
    assert main(["scenes", "first-frame", str(tmp_path / "junk.yaml"), "-o", str(tmp_path / "ff")]) == 2
    assert "is not a zerohsi instance file" in capsys.readouterr().err
