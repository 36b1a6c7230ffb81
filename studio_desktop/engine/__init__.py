"""Jobs that turn inputs into images: the local engine (Pillow/OpenCV), the remote one (HTTP).

- :mod:`.inputs`: the typed inputs of each job type (:class:`~.inputs.CanvasEditInput`,
  :class:`~.inputs.ExtractGarmentInput`, :class:`~.inputs.ProductPackInput`,
  :class:`~.inputs.TryOnInput`), :class:`~.inputs.JobRequest`, and their ``input_json`` form.
- :mod:`.base`: the :class:`~.base.Engine` protocol, :class:`~.base.JobContext` (progress,
  cancel token, image reads, executor), :class:`~.base.JobResult` / :class:`~.base.ProducedOutput`.
- :mod:`.errors`: how a job ends when it does not succeed (failed with a readable message,
  an assistant reply for an instruction the engine cannot do, canceled).
- :mod:`.cancel`: the cooperative :class:`~.cancel.CancelToken`.
- :mod:`.runner`: one job through queued -> running -> succeeded/failed/canceled, recorded in
  the store (:mod:`.recorder`) with its outputs and outbox entries.
- :mod:`.local`: the offline engine; :mod:`.cutout_cache`: cutouts cut once per photo.
- :mod:`.remote` and :mod:`.remote_api`: the studio's generation API (``docs/remote-api.md``).

The use cases on top (submit, cancel, retry, the queue) are ``services/jobs.py``.
"""
