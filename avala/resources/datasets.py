"""``client.datasets``: datasets, their items, sequences and frames, health, transfers, and
the manual uploads: the REST calls and the resumable flows built on them (in
:mod:`avala._uploads`, imported on first use)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from os import PathLike
from typing import Any

from .._serde import structure
from ..models.datasets import (
    AllowedMimes,
    CameraCalibration,
    Dataset,
    DatasetCalibration,
    DatasetFrame,
    DatasetHealth,
    DatasetItem,
    DatasetSequence,
    ManualUploadTarget,
    UploadQuota,
)
from ..models.uploads import UploadProgress
from ..pagination import AsyncPaginator
from ._base import AsyncResource, given, locals_but_self, path, poll

_DATASET = "/datasets/{owner}/{slug}/"


def _sequence_path(owner: str, slug: str, sequence_uid: str) -> str:
    return path(
        _DATASET + "sequences/{sequence_uid}/", owner=owner, slug=slug, sequence_uid=sequence_uid
    )


def _pick(sources: tuple[dict[str, Any], ...], *names: str) -> Any:
    """The first value of ``names`` (in order) found in ``sources`` (in order)."""
    return next((d[n] for d in sources for n in names if d.get(n) is not None), None)


def _frame(sequence: DatasetSequence, frame_idx: int) -> dict[str, Any]:
    frames = sequence.frames or []
    if isinstance(frame_idx, bool) or not isinstance(frame_idx, int):
        raise TypeError(f"frame_idx must be an int, got {type(frame_idx).__name__}.")
    if not 0 <= frame_idx < len(frames):
        raise IndexError(
            f"frame_idx {frame_idx} is out of range: sequence {sequence.uid} has "
            f"{len(frames)} frame(s), indexed from 0."
        )
    frame = frames[frame_idx]
    if not isinstance(frame, dict):
        raise TypeError(f"frame {frame_idx} of sequence {sequence.uid} is not an object.")
    return frame


class AsyncDatasets(AsyncResource):
    """Datasets: list, look up, create, browse items and sequences, wait for ingestion."""

    __slots__ = ()

    def list(
        self,
        *,
        data_type: str | None = None,
        name: str | None = None,
        status: str | None = None,
        visibility: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AsyncPaginator[Dataset]:
        """List the datasets the key can see.

        Args:
            data_type: Only this type (``image``, ``video``, ``lidar``, ``mcap``, ``splat``).
            name: Only names containing this text (case-insensitive).
            status: Only this status (``creating`` or ``created``).
            visibility: Only ``private``, ``unlisted`` or ``public`` datasets.
            limit: Items per page.
            cursor: Start from this page cursor (``page.next_cursor``).

        Returns:
            A paginator: iterate it for every dataset, or call ``first_page()`` for one page.
        """
        return self._list("/datasets/", Dataset, locals())

    async def get(self, uid: str) -> Dataset:
        """Fetch a dataset by uid.

        Raises:
            NotFoundError: no such dataset.
        """
        return await self._get(path("/datasets/{uid}/", uid=uid), Dataset)

    async def get_by_slug(self, owner: str, slug: str) -> Dataset:
        """Fetch a dataset by its owner's handle and its slug."""
        return await self._get(path(_DATASET, owner=owner, slug=slug), Dataset)

    async def create(
        self,
        *,
        name: str,
        slug: str,
        data_type: str,
        visibility: str = "private",
        create_metadata: bool = True,
        is_sequence: bool | None = None,
        provider_config: dict[str, Any] | None = None,
        owner_name: str | None = None,
        organization_id: int | None = None,
        organization_uid: str | None = None,
        gpu_texture_format: str | None = None,
        metadata: dict[str, Any] | None = None,
        industry: int | None = None,
        license: int | None = None,
    ) -> Dataset:
        """Create a dataset. It starts in status ``creating``; see :meth:`wait`.

        Args:
            name: Display name.
            slug: URL name, unique for the owner.
            data_type: ``image``, ``video``, ``lidar``, ``mcap``, ``splat`` or ``image_3d``.
            visibility: ``private`` (default) or ``public``.
            create_metadata: Whether the server extracts metadata on ingestion.
            is_sequence: Whether items form sequences.
            provider_config: Cloud storage settings for a zero-copy import.
            owner_name: Create under this user or organization handle.
            organization_id: Owning organization (numeric id).
            organization_uid: Owning organization (uid).
            gpu_texture_format: Texture format for GPU-ready media.
            metadata: Free-form metadata.
            industry: Industry id.
            license: License id.

        Raises:
            ValidationError: the server rejected a field; ``.errors`` lists them.
        """
        return await self._post("/datasets/", Dataset, given(locals()))

    def list_items(
        self, owner: str, slug: str, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[DatasetItem]:
        """List a dataset's items.

        Returns:
            A paginator: iterate it for every item, or call ``first_page()`` for one page.
        """
        url = path(_DATASET + "items/", owner=owner, slug=slug)
        return self._list(url, DatasetItem, {"limit": limit, "cursor": cursor})

    async def get_item(self, owner: str, slug: str, item_uid: str) -> DatasetItem:
        """Fetch one item of a dataset."""
        url = path(_DATASET + "items/{item_uid}/", owner=owner, slug=slug, item_uid=item_uid)
        return await self._get(url, DatasetItem)

    def list_sequences(
        self, owner: str, slug: str, *, limit: int | None = None, cursor: str | None = None
    ) -> AsyncPaginator[DatasetSequence]:
        """List a dataset's sequences.

        Returns:
            A paginator: iterate it for every sequence, or call ``first_page()`` for one page.
        """
        url = path(_DATASET + "sequences/", owner=owner, slug=slug)
        return self._list(url, DatasetSequence, {"limit": limit, "cursor": cursor})

    async def get_sequence(self, owner: str, slug: str, sequence_uid: str) -> DatasetSequence:
        """Fetch one sequence, with its ``frames``."""
        return await self._get(_sequence_path(owner, slug, sequence_uid), DatasetSequence)

    async def wait(
        self,
        uid: str,
        *,
        status: str = "created",
        interval: float = 10.0,
        timeout: float = 3600.0,
        on_poll: Callable[[Dataset], object] | None = None,
        _on_poll: Callable[[Dataset], object] | None = None,
    ) -> Dataset:
        """Poll a dataset until it reaches ``status``.

        Args:
            uid: The dataset.
            status: The status to wait for.
            interval: Seconds between polls (> 0).
            timeout: Seconds to wait in all (>= 0).
            on_poll: Called with the dataset after each poll that has not reached ``status``.
            _on_poll: The official SDK's name for ``on_poll``, accepted so its code runs as is.

        Raises:
            TimeoutError: the status was not reached in time; the message names the last one.
        """
        path("/datasets/{uid}/", uid=uid)  # a bad uid fails here, before any wait
        return await poll(
            lambda: self.get(uid),
            lambda d: d.status == status,
            lambda d: d.status,
            what=f"Dataset {uid} did not reach status {status!r}",
            interval=interval,
            timeout=timeout,
            on_poll=on_poll or _on_poll,
        )

    async def get_frame(
        self, owner: str, slug: str, sequence_uid: str, frame_idx: int
    ) -> DatasetFrame:
        """One frame of a sequence, with its camera images and the device pose.

        Built client-side from :meth:`get_sequence` (one request). ``model`` and
        ``camera_model`` each fall back to the other, as the API names the camera model
        either way.

        Raises:
            IndexError: ``frame_idx`` is negative or not below the frame count (the message
                gives the count).
        """
        frame = _frame(await self.get_sequence(owner, slug, sequence_uid), frame_idx)
        return structure(
            {
                "frame_index": frame_idx,
                "key": frame.get("key"),
                "model": _pick((frame,), "model", "camera_model"),
                "camera_model": _pick((frame,), "camera_model", "model"),
                "xi": frame.get("xi"),
                "alpha": frame.get("alpha"),
                "device_position": frame.get("device_position"),
                "device_heading": frame.get("device_heading"),
                "images": frame.get("images"),
                "raw": frame,
            },
            DatasetFrame,
        )

    async def get_calibration(self, owner: str, slug: str, sequence_uid: str) -> DatasetCalibration:
        """The cameras of a sequence (intrinsics and mounting pose), from its first frame.

        Built client-side from :meth:`get_sequence` (one request). A camera's id is its
        ``camera``, ``camera_id`` or ``sensor_id``; ``model``, ``xi`` and ``alpha`` fall back
        to the frame's own. A sequence without frames has no cameras.
        """
        sequence = await self.get_sequence(owner, slug, sequence_uid)
        frames = sequence.frames or []
        first: dict[str, Any] = frames[0] if frames and isinstance(frames[0], dict) else {}
        cameras = [
            structure(
                {
                    **{k: image.get(k) for k in ("position", "heading", "width", "height")},
                    **{k: image.get(k) for k in ("fx", "fy", "cx", "cy")},
                    "camera_id": _pick((image,), "camera", "camera_id", "sensor_id"),
                    "model": _pick((image, first), "model", "camera_model"),
                    "xi": _pick((image, first), "xi"),
                    "alpha": _pick((image, first), "alpha"),
                },
                CameraCalibration,
            )
            for image in first.get("images") or []
            if isinstance(image, dict)
        ]
        return DatasetCalibration(sequence_uid=sequence.uid, cameras=cameras)

    async def get_health(self, owner: str, slug: str) -> DatasetHealth:
        """Ingestion health of a dataset: counts, per-sequence calibration, and issues."""
        return await self._get(path(_DATASET + "health/", owner=owner, slug=slug), DatasetHealth)

    async def transfer(
        self,
        owner: str,
        slug: str,
        *,
        organization_uid: str | None = None,
        owner_username: str | None = None,
    ) -> Dataset:
        """Move a dataset to an organization or another user.

        Args:
            owner: The current owner's handle.
            slug: The dataset's slug.
            organization_uid: The organization to move it to.
            owner_username: The user to move it to.

        Returns:
            The dataset at its new place: use its ``owner_name`` from now on.

        Raises:
            ValueError: not exactly one of ``organization_uid`` / ``owner_username`` was
                given (before any request).
        """
        if (organization_uid is None) == (owner_username is None):
            raise ValueError("Pass exactly one of organization_uid or owner_username.")
        return await self._post(
            path(_DATASET + "transfer/", owner=owner, slug=slug),
            Dataset,
            given({"organization_uid": organization_uid, "owner_username": owner_username}),
        )

    async def manual_upload_quota(self, *, organization_uid: str | None = None) -> UploadQuota:
        """The manual-upload quota of the user (or of an organization), in bytes.

        ``used`` counts open upload reservations too; ``remaining`` is what is left.
        """
        return await self._get("/datasets/manual-upload/quota/", UploadQuota, given(locals()))

    async def manual_upload_allowed_mimes(self) -> AllowedMimes:
        """The MIME types the manual upload indexes (advisory: others are stored as
        ``application/octet-stream``)."""
        return await self._get("/datasets/manual-upload/allowed-mimes/", AllowedMimes)

    async def create_manual_upload_url(
        self,
        *,
        dataset_name: str,
        file_path_in_dataset: str,
        content_length: int,
        organization_uid: str | None = None,
        dataset_upload_uid: str | None = None,
    ) -> ManualUploadTarget:
        """Reserve quota for one file and get where to upload it.

        With ``dataset_upload_uid`` (a batch id) the v2 protocol is asked for
        (``upload_protocol_version: 2``): the answer's ``method`` is then ``PUT`` or
        ``MULTIPART`` rather than the form ``POST``. ``organization_uid`` must be the same on
        every call of one upload and on :meth:`create_from_manual_upload`.

        Raises:
            QuotaExceededError: the file does not fit the quota (``.limit``, ``.used``).
        """
        fields = given(locals())
        if dataset_upload_uid is not None:
            fields["upload_protocol_version"] = 2
        return await self._post(
            "/datasets/manual-upload/file-upload-url/", ManualUploadTarget, fields
        )

    async def create_from_manual_upload(
        self,
        *,
        name: str,
        slug: str,
        data_type: str,
        visibility: str = "private",
        create_metadata: bool = True,
        owner_name: str | None = None,
        metadata: dict[str, Any] | None = None,
        industry: int | None = None,
        license: int | None = None,
        organization_uid: str | None = None,
        dataset_upload_uid: str | None = None,
    ) -> Dataset:
        """Create a dataset from the files uploaded with :meth:`create_manual_upload_url`.

        ``visibility`` and ``create_metadata`` are always sent. Pass the same
        ``organization_uid`` (and the batch's ``dataset_upload_uid``) as the uploads used.
        """
        return await self._post("/datasets/manual-upload/", Dataset, given(locals()))

    # ------------------------------------------------------------------ upload flows

    async def upload_files(
        self,
        *,
        dataset_name: str,
        files: Sequence[tuple[str | PathLike[str], str] | str | PathLike[str]],
        workers: int = 8,
        on_progress: Callable[[str, int], object] | None = None,
        on_skipped: Callable[[str], object] | None = None,
        organization_uid: str | None = None,
        resume: bool = True,
        state_key: str | None = None,
        clear_state_on_success: bool = False,
        dataset_upload_uid: str | None = None,
        progress: Callable[[UploadProgress], object] | None = None,
    ) -> int:
        """Upload local files to storage for a dataset-to-be (then call
        :meth:`create_from_manual_upload`, or use :meth:`create_from_local` for both).

        Each file is presigned, streamed from disk (memory stays bounded whatever its size),
        checked against the storage host's ETag, and recorded in the upload state, so a run
        that stops (an error, Ctrl-C, a killed process) resumes where it was: running the
        same call again sends only what is missing. Files and parts are retried on
        connection errors, timeouts, 408/429/5xx and expired grants.

        Args:
            dataset_name: The dataset's name (the uploads are grouped by it).
            files: ``(local path, path in the dataset)`` pairs; a bare path is uploaded under
                its file name. Links and special files are refused.
            workers: Files sent at once.
            on_progress: Called with ``(path in the dataset, bytes sent)`` after each file.
            on_skipped: Called with the path of each file already stored (not sent again).
            organization_uid: Upload for this organization (its quota) instead of yourself.
            resume: False forgets what earlier runs stored and sends everything again.
            state_key: Name of the upload state (default: ``dataset_name``).
            clear_state_on_success: Delete the upload state once every file is stored.
            dataset_upload_uid: The batch (from :meth:`prepare_manual_upload_batch`): uses
                the v2 protocol (PUT or signed multipart parts, each stored once). Without
                it files go as presigned POST forms.
            progress: Called with an :class:`~avala.models.UploadProgress` as bytes move
                (see :func:`avala.uploads.progress_bar`).

        Returns:
            Bytes sent by this call (files already stored count 0).

        Raises:
            QuotaExceededError: the upload quota would be exceeded (``limit``, ``used``).
            UploadError: a file could not be stored after retries (``.path`` names it).
            UploadStateError: another run holds the upload's lock, its state is corrupt,
                or a file changed on disk after this batch stored it.
        """
        arguments = locals_but_self(locals())
        from .._uploads import _datasets

        return await _datasets.upload_files(self, **arguments)

    async def create_from_local(
        self,
        *,
        source: str | PathLike[str],
        name: str,
        slug: str,
        data_type: str,
        visibility: str = "private",
        create_metadata: bool = True,
        owner_name: str | None = None,
        industry: int | None = None,
        license: int | None = None,
        workers: int = 8,
        on_progress: Callable[[str, int], object] | None = None,
        wait: bool = False,
        wait_timeout: float = 3600.0,
        organization_uid: str | None = None,
        metadata: dict[str, Any] | None = None,
        resume: bool = True,
        check_quota: bool = True,
        progress: Callable[[UploadProgress], object] | None = None,
    ) -> Dataset:
        """Create a dataset from a local file or folder: upload it (resumably, see
        :meth:`upload_files`), then create the dataset from the upload.

        The folder is walked in name order; paths in the dataset are relative to it, with
        ``/``. Symbolic links and special files are refused rather than followed. Running
        the same call again after a failure resumes the same batch.

        Args:
            source: A file, or a folder uploaded recursively.
            name: Dataset name.
            slug: Dataset slug.
            data_type: ``image``, ``video``, ``lidar``, ``mcap`` or ``splat``.
            visibility: ``private``, ``unlisted`` or ``public``.
            create_metadata: Let the server index the files.
            owner_name: Owner of the new dataset.
            industry: Industry choice id.
            license: License choice id.
            workers: Files sent at once.
            on_progress: Called with ``(path in the dataset, bytes sent)`` after each file.
            wait: Wait until the dataset's status is ``created``.
            wait_timeout: Seconds to wait when ``wait`` is set.
            organization_uid: Create it in (and charge the quota of) this organization.
            metadata: Dataset metadata.
            resume: False starts a new batch, sending every file again.
            check_quota: Refuse before sending anything when the bytes still to send exceed
                the quota that is left (a key that may not read the quota skips this).
            progress: Called with an :class:`~avala.models.UploadProgress` as bytes move.

        Returns:
            The new dataset.

        Raises:
            QuotaExceededError: the files do not fit in the quota (nothing was sent).
            UploadError: a file could not be stored after retries.
            UploadStateError: another run holds the upload's lock, or its state is unusable.
            ValueError: ``source`` holds no files, a link, a special file or a bad name.
        """
        arguments = locals_but_self(locals())
        from .._uploads import _datasets

        return await _datasets.create_from_local(self, **arguments)

    async def prepare_manual_upload_batch(
        self,
        dataset_name: str,
        *,
        organization_uid: str | None = None,
        resume: bool = True,
        state_key: str | None = None,
    ) -> str | None:
        """The batch id (``dataset_upload_uid``) of an upload of ``dataset_name``: the one
        an earlier run recorded (``resume``), or a new one, recorded before any byte moves.

        Pass it to :meth:`upload_files` and :meth:`create_from_manual_upload`. This SDK
        always returns a batch id; ``None`` is in the type for the official SDK's callers.
        """
        from .._uploads import _datasets

        return await _datasets.prepare_batch(
            self, dataset_name, organization_uid, resume, state_key
        )

    async def resolve_storage_root(self, organization_uid: str | None = None) -> str | None:
        """Where the server roots uploads of this account: ``"__o__=/<organization_uid>"``
        (no request), or ``"__u__=/<your user uid>"`` (one ``GET /users/me/``); ``None``
        when the key may not read it."""
        from .._uploads import _datasets

        return await _datasets.resolve_storage_root(self, organization_uid)

    async def assert_storage_root_unchanged(
        self, expected: str | None, *, organization_uid: str | None = None
    ) -> None:
        """Raise ``RuntimeError`` if the storage root is no longer ``expected`` (the upload
        destination moved during a run); an unknown root (``None``) passes."""
        from .._uploads import _datasets

        await _datasets.assert_storage_root_unchanged(self, expected, organization_uid)
