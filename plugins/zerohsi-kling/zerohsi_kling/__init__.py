"""zerohsi-kling: the KLING image-to-video API as a zerohsi video generator.

Keys come from the environment only (``KLING_ACCESS_KEY``, ``KLING_SECRET_KEY``) and never reach logs, configs,
exceptions or run folders. The task id is saved before polling so an interrupted run resumes the same paid task.
"""
