package earshot.api;

import earshot.pipeline.Workspace;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Takes the {@code file} part of a multipart request (already streamed to disk by the BodyHandler), checks that it
 * is audio or video by extension and magic bytes and that its declared length fits the owner's tier
 * ({@link UploadLength}), and moves it into the job's workspace as {@code upload.<ext>}. The file work runs in
 * executeBlocking.
 */
final class Uploads {
  private Uploads() {}

  /** Room for the multipart framing and form fields around the file itself. */
  static final long FORM_OVERHEAD = 64 * 1024;

  /**
   * The request body limit: the file limit plus the form around it. Reading stops there (413); the file itself is
   * then held to {@code api.max_upload_bytes} exactly.
   */
  static long bodyLimit(earshot.config.EarshotConfig.Api api) {
    return api.maxUploadBytes() > Long.MAX_VALUE - FORM_OVERHEAD ? Long.MAX_VALUE : api.maxUploadBytes() + FORM_OVERHEAD;
  }

  /** An accepted upload: where it now lives and the name the client gave it. */
  record Stored(Path path, String name) {}

  static Future<Stored> accept(Vertx vertx, Workspace workspace, long maxBytes, String jobUuid, RoutingContext ctx) {
    FileUpload file = ctx.fileUploads().stream().filter(f -> f.name().equals("file")).findFirst()
        .orElseThrow(() -> ApiError.invalid("file", "a multipart part named file is required"));
    if (file.size() > maxBytes) {
      throw new ApiError(413, ProblemTypes.PAYLOAD_TOO_LARGE, "Payload Too Large",
          "file: " + file.size() + " bytes is over the upload limit of " + maxBytes + " bytes", "file");
    }
    String name = file.fileName() == null || file.fileName().isBlank()
        ? "upload" : Path.of(file.fileName()).getFileName().toString();
    return UploadLength.tierOf(vertx, Principal.of(ctx).ownerUserId()).compose(tier -> vertx.executeBlocking(() -> {
      Path uploaded = Path.of(file.uploadedFileName());
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
