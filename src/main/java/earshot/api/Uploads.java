package earshot.api;

import earshot.pipeline.Workspace;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Takes the {@code file} part of a multipart request (already streamed to its staging file by
 * {@link MultipartUpload}, which held it to {@code api.max_upload_bytes}), checks that it is audio or video by
 * extension and magic bytes and that its declared length fits the owner's tier ({@link UploadLength}), and moves it
 * into the job's workspace as {@code upload.<ext>}. The file work runs in executeBlocking.
 */
final class Uploads {
  private Uploads() {}

  /** An accepted upload: where it now lives and the name the client gave it. */
  record Stored(Path path, String name) {}

  static Future<Stored> accept(Vertx vertx, Workspace workspace, String jobUuid, MultipartUpload.Form form,
                               RoutingContext ctx) {
    String given = form.fileName();
    String base = given.substring(Math.max(given.lastIndexOf('/'), given.lastIndexOf('\\')) + 1);
    String name = base.isBlank() ? "upload" : base;
    return UploadLength.tierOf(vertx, Principal.of(ctx).ownerUserId()).compose(tier -> vertx.executeBlocking(() -> {
      Path uploaded = form.file();
      if (!AudioSniffer.extensionAllowed(name) || !AudioSniffer.looksLikeMedia(uploaded)) {
        throw new ApiError(415, ProblemTypes.UNSUPPORTED_MEDIA, "Unsupported Media Type",
            "file: " + Echo.quoted(name) + " is not a supported audio or video file", "file");
      }
      UploadLength.refuseIfTooLong(uploaded, tier);
      Path target = workspace.createWorkDir(jobUuid).resolve(Workspace.UPLOAD_PREFIX + extension(name));
      Files.move(uploaded, target, StandardCopyOption.REPLACE_EXISTING);
      return new Stored(target.toAbsolutePath(), name);
    }, false));
  }

  private static String extension(String name) {
    int dot = name.lastIndexOf('.');
    String ext = dot < 0 ? "" : name.substring(dot).toLowerCase(Locale.ROOT);
    return ext.matches("\\.[a-z0-9]{1,5}") ? ext : "";
  }
}
