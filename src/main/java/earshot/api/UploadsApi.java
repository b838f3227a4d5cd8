package earshot.api;

import earshot.artifacts.ArtifactKeys;
import earshot.artifacts.ArtifactStore;
import earshot.artifacts.DirArtifactStore;
import earshot.artifacts.UploadSigner;
import earshot.config.EarshotConfig;
import earshot.pipeline.Workspace;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Presigned uploads (seed 004): {@code POST /api/v1/audio/uploads} answers {@code {upload_url, object_key,
 * expires_at}}, a URL the client PUTs a large file to, straight into the artifact store, before it submits the job
 * with {@code object_key} ({@link Uploads#acceptObject}). The key lies under the caller's own prefix
 * ({@link ArtifactKeys#ownerPrefix}). With the s3 store the URL is the SDK's presigned PUT to the bucket; with the
 * directory store it is {@code PUT /api/v1/audio/uploads/<key>?expires=..&signature=..} on this API
 * ({@link UploadSigner}), which needs no other credentials and streams the body into the store, held to
 * {@code api.max_upload_bytes}; the staged file is deleted however the request ends.
 *
 * <p>Threading: event loop; the body is written with Vert.x's async file I/O, and moving it into the store runs in
 * executeBlocking.
 */
final class UploadsApi {
  /** How the signed PUT route is documented: its key holds slashes, so the route is a regex named like this. */
  static final String PUT_ROUTE_NAME = UploadSigner.ROUTE + "{key}";

  private final Vertx vertx;
  private final EarshotConfig config;
  private final ArtifactStore artifacts;
  private final Workspace workspace;
  private final UploadSigner signer;

  UploadsApi(Vertx vertx, EarshotConfig config, ArtifactStore artifacts) {
    this.vertx = vertx;
    this.config = config;
    this.artifacts = artifacts;
    this.workspace = new Workspace(config.dataDir());
    this.signer = artifacts instanceof DirArtifactStore dir ? dir.signer() : null;
  }

  /** {@code POST /uploads} on the authenticated router mounted at {@link JobsApi#BASE}. */
  void mount(Router secured) {
    secured.post("/uploads").handler(BodyHandler.create(false).setBodyLimit(config.api().maxBodyBytes()))
        .handler(this::presign);
  }

  /**
   * {@code PUT /api/v1/audio/uploads/<key>} on the root router, before the authenticated ones: its signature is its
   * credential. Only the directory store serves it; an s3 store's URLs point at the bucket.
   */
  void mountSignedPut(Router root) {
    if (signer != null) {
      root.putWithRegex(java.util.regex.Pattern.quote(UploadSigner.ROUTE) + ".+").setName(PUT_ROUTE_NAME)
          .handler(this::put);
    }
  }

  private void presign(RoutingContext ctx) {
    Principal who = Principal.of(ctx);
    JsonObject body;
    try {
      body = ctx.body().length() == 0 ? new JsonObject() : ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      throw ApiError.invalid("body", "must be a JSON object or empty");
    }
    Object fileName = body == null ? null : body.getValue("file_name");
    if (fileName != null && !(fileName instanceof String)) {
      throw ApiError.invalid("file_name", "must be a string");
    }
    String name = (String) fileName;
    if (name != null && !AudioSniffer.extensionAllowed(name)) {
      throw ApiError.unprocessable("file_name", Echo.quoted(name) + " is not a supported audio or video file name");
    }
    long expires = java.time.Instant.now().plus(config.artifacts().uploadUrlTtl()).getEpochSecond();
    String key = ArtifactKeys.newStagedUpload(who.ownerUserId(), expires, name);
    vertx.executeBlocking(() -> artifacts.presignPut(key, config.artifacts().uploadUrlTtl()), false)
        .onSuccess(p -> {
          URI url = p.url().isAbsolute() ? p.url() : URI.create(ctx.request().absoluteURI()).resolve(p.url());
          ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
              .end(new JsonObject().put("upload_url", url.toString()).put("object_key", key)
                  .put("expires_at", p.expiresAt().toString()).put("method", "PUT").encode());
        })
        .onFailure(ctx::fail);
  }

  private void put(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String key = request.path().substring(UploadSigner.ROUTE.length());
    ArtifactKeys.Staged staged;
    try {
      staged = ArtifactKeys.parseStaged(ArtifactKeys.check(key));
    } catch (IllegalArgumentException e) {
      staged = null;
    }
    if (staged == null) {
      refuse(ctx, ApiError.forbidden("not an upload URL issued by POST /api/v1/audio/uploads"));
      return;
    }
    switch (signer.verify(key, request.getParam("expires"), request.getParam("signature"))) {
      case BAD_SIGNATURE -> {
        refuse(ctx, ApiError.forbidden("the upload URL's signature does not match"));
        return;
      }
      case EXPIRED -> {
        refuse(ctx, ApiError.forbidden("the upload URL has expired; ask POST /api/v1/audio/uploads for a new one"));
        return;
      }
      case VALID -> { }
    }
    long limit = config.api().maxUploadBytes();
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null && length.matches("\\d{1,18}") && Long.parseLong(length) > limit) {
      refuse(ctx, tooLarge(limit));
      return;
    }
    if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
      ctx.response().writeContinue();
    }
    Path file = workspace.uploadsDir().resolve("put-" + UUID.randomUUID());
    request.pause();
    vertx.fileSystem().mkdirs(workspace.uploadsDir().toString())
        .compose(v -> vertx.fileSystem().open(file.toString(), new OpenOptions().setCreateNew(true).setWrite(true)))
        .compose(out -> receive(request, out, limit))
        .compose(v -> vertx.executeBlocking(() -> {
          artifacts.putMoving(key, file);
          return null;
        }, false))
        .onSuccess(v -> ctx.response().setStatusCode(200).end())
        .onFailure(err -> {
          vertx.fileSystem().delete(file.toString()).otherwiseEmpty();
          if (!ctx.response().ended()) {
            if (err instanceof ApiError) {
              ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
            }
            ctx.fail(err);
          }
        });
  }

  /** Writes the body to {@code out} with back-pressure, held to {@code limit} bytes; closes the file either way. */
  private static Future<Void> receive(HttpServerRequest request, AsyncFile out, long limit) {
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    long[] bytes = {0};
    request.handler((Buffer chunk) -> {
      if (done.future().isComplete()) {
        return; // refused: the rest is dropped, and the connection closes after the answer
      }
      bytes[0] += chunk.length();
      if (bytes[0] > limit) {
        out.close().onComplete(ar -> done.tryFail(tooLarge(limit)));
        return;
      }
      out.write(chunk);
      if (out.writeQueueFull()) {
        request.pause();
        out.drainHandler(v -> request.resume());
      }
    });
    request.exceptionHandler(err -> out.close().onComplete(ar -> done.tryFail(err)));
    request.endHandler(v -> {
      if (!done.future().isComplete()) {
        out.close().onComplete(ar -> {
          if (ar.succeeded()) {
            done.tryComplete();
          } else {
            done.tryFail(ar.cause());
          }
        });
      }
    });
    request.resume();
    return done.future();
  }

  private static ApiError tooLarge(long limit) {
    return new ApiError(413, ProblemTypes.PAYLOAD_TOO_LARGE, "Payload Too Large",
        "the upload is over the limit of " + limit + " bytes", null);
  }

  /** Refuses before the body is read; the connection closes after the answer, so the body is not read. */
  private static void refuse(RoutingContext ctx, ApiError error) {
    ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
    ctx.fail(error);
  }
}
