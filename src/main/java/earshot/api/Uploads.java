package earshot.api;

import earshot.artifacts.ArtifactKeys;
import earshot.artifacts.ArtifactStore;
import earshot.jobs.PayloadKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;

/**
 * Takes the {@code file} part of a multipart request (already streamed to its staging file by
 * {@link MultipartUpload}, which held it to {@code api.max_upload_bytes}), checks that it is audio or video by
 * extension and magic bytes and that its declared length fits the owner's tier ({@link UploadLength}), and moves it
 * into the artifact store as {@code jobs/<uuid>/upload.<ext>}. A presigned upload's object ({@link #acceptObject})
 * passes the same checks. The file and store work runs in executeBlocking.
 */
final class Uploads {
  private Uploads() {}

  /** An accepted upload: its object key in the store and the name the client gave it. */
  record Stored(String key, String name) {}

  static Future<Stored> accept(Vertx vertx, ArtifactStore artifacts, String jobUuid, MultipartUpload.Form form,
                               java.time.Duration busTimeout, RoutingContext ctx) {
    String given = form.fileName();
    String base = given.substring(Math.max(given.lastIndexOf('/'), given.lastIndexOf('\\')) + 1);
    String name = base.isBlank() ? "upload" : base;
    return UploadLength.tierOf(vertx, Principal.of(ctx).ownerUserId(), busTimeout).compose(tier -> vertx.executeBlocking(() -> {
      Path uploaded = form.file();
      if (!AudioSniffer.extensionAllowed(name) || !AudioSniffer.looksLikeMedia(uploaded)) {
        throw new ApiError(415, ProblemTypes.UNSUPPORTED_MEDIA, "Unsupported Media Type",
            "file: " + Echo.quoted(name) + " is not a supported audio or video file", "file");
      }
      UploadLength.refuseIfTooLong(uploaded, tier);
      String key = ArtifactKeys.upload(jobUuid, name);
      artifacts.putMoving(key, uploaded);
      return new Stored(key, name);
    }, false));
  }

  /**
   * A presigned upload submitted by its {@code object_key}: issued to this owner, its URL not expired before the
   * object arrived, the object there and audio or video like any upload; then moved to the job's
   * {@code jobs/<uuid>/upload.<ext>}, so that a key serves one job. Fetched to {@code scratch} to be sniffed where
   * the store is not a local directory.
   */
  static Future<Stored> acceptObject(Vertx vertx, ArtifactStore artifacts, String jobUuid, String objectKey,
                                     long maxBytes, Path scratch, java.time.Duration busTimeout, RoutingContext ctx) {
    String owner = Principal.of(ctx).ownerUserId();
    ArtifactKeys.Staged staged;
    try {
      staged = ArtifactKeys.parseStaged(ArtifactKeys.check(objectKey));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(ApiError.invalid(PayloadKeys.OBJECT_KEY, e.getMessage()));
    }
    if (staged == null) {
      return Future.failedFuture(ApiError.invalid(PayloadKeys.OBJECT_KEY,
          "is not a key issued by POST /api/v1/audio/uploads"));
    }
    if (!staged.ownerPrefix().equals(ArtifactKeys.ownerPrefix(owner))) {
      return Future.failedFuture(ApiError.forbidden(PayloadKeys.OBJECT_KEY + ": was issued to another owner"));
    }
    String name = "upload" + staged.extension();
    return UploadLength.tierOf(vertx, owner, busTimeout).compose(tier -> vertx.executeBlocking(() -> {
      java.util.OptionalLong size = artifacts.size(objectKey);
      if (size.isPresent() && size.getAsLong() > maxBytes) {
        // An S3 presigned PUT cannot limit its body: the limit is held here, and the object is not kept.
        artifacts.delete(objectKey);
        throw new ApiError(413, ProblemTypes.PAYLOAD_TOO_LARGE, "Payload Too Large", PayloadKeys.OBJECT_KEY
            + ": the uploaded object of " + size.getAsLong() + " bytes is over the upload limit of " + maxBytes
            + " bytes", PayloadKeys.OBJECT_KEY);
      }
      if (size.isEmpty()) {
        boolean expired = staged.expiresEpochSecond() < java.time.Instant.now().getEpochSecond();
        throw expired
            ? new ApiError(410, ProblemTypes.GONE, "Gone", PayloadKeys.OBJECT_KEY
                + ": its upload URL expired before anything was uploaded to it; ask for a new one", PayloadKeys.OBJECT_KEY)
            : ApiError.notFound(PayloadKeys.OBJECT_KEY + ": nothing was uploaded to this key (or it was used already)");
      }
      try (ArtifactStore.Local local = artifacts.fetch(objectKey, scratch)) {
        if (!AudioSniffer.extensionAllowed(name) || !AudioSniffer.looksLikeMedia(local.path())) {
          throw new ApiError(415, ProblemTypes.UNSUPPORTED_MEDIA, "Unsupported Media Type",
              PayloadKeys.OBJECT_KEY + ": the uploaded object is not a supported audio or video file",
              PayloadKeys.OBJECT_KEY);
        }
        UploadLength.refuseIfTooLong(local.path(), tier);
      }
      String key = ArtifactKeys.upload(jobUuid, name);
      if (!artifacts.move(objectKey, key)) {
        throw ApiError.notFound(PayloadKeys.OBJECT_KEY + ": nothing was uploaded to this key (or it was used already)");
      }
      return new Stored(key, name);
    }, false));
  }
}
