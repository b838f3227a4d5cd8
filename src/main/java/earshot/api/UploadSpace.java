package earshot.api;

import earshot.audio.DiskSpace;
import earshot.config.EarshotConfig;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps uploads off a full disk. Placed before whatever reads an upload's body, it refuses with 507
 * insufficient_storage, before a byte of the body is read (and before {@code 100 Continue}), an upload whose
 * {@code Content-Length} does not fit in the uploads directory's free space less {@code api.upload_disk_reserve_bytes},
 * and any upload while less than the reserve is free. A disk that fills while a body streams is answered 507 by the
 * failure handler ({@link DiskSpace#isFull}).
 *
 * <p>Threading: event loop; the free space is read through Vert.x's asynchronous file system, with the request paused
 * (the next handler resumes it when it reads the body).
 */
final class UploadSpace implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(UploadSpace.class);
  /** How long the rest of a refused upload's body is read and dropped before the connection closes. */
  static final long LINGER_MS = 5_000;

  private final Vertx vertx;
  private final String uploadsDir;
  private final long reserveBytes;

  /** Judges uploads into the data directory's {@code uploads}. */
  UploadSpace(Vertx vertx, EarshotConfig config) {
    this.vertx = vertx;
    this.uploadsDir = config.dataDir().resolve("uploads").toString();
    this.reserveBytes = config.api().uploadDiskReserveBytes();
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    long declared = declaredLength(request);
    request.pause(); // nothing of the body is read until the space is known
    vertx.fileSystem().mkdirs(uploadsDir)
        .compose(v -> vertx.fileSystem().fsProps(uploadsDir))
        .onComplete(ar -> {
          if (ar.failed() && DiskSpace.isFull(ar.cause())) {
            refuse(ctx, declared, "no room for the directory itself");
          } else if (ar.failed()) {
            LOG.warn("cannot read the free space of {} (the upload goes ahead): {}", uploadsDir,
                ar.cause().getMessage());
            ctx.next();
          } else if (ar.result().usableSpace() - reserveBytes < Math.max(0, declared)) {
            refuse(ctx, declared, ar.result().usableSpace() + " bytes free, " + reserveBytes + " kept in reserve");
          } else {
            ctx.next();
          }
        });
  }

  private void refuse(RoutingContext ctx, long declared, String why) {
    LOG.warn("refused an upload of {} bytes to {}: {}", declared < 0 ? "unknown" : declared, uploadsDir, why);
    leaveBodyUnread(ctx);
    ctx.fail(ApiError.insufficientStorage(declared < 0
        ? "the server's disk has no room for uploads now; try again later"
        : "the server's disk has no room for an upload of " + declared + " bytes now; try again later"));
  }

  private static long declaredLength(HttpServerRequest request) {
    String header = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    try {
      return header == null ? -1 : Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1; // whatever reads the body judges a malformed length
    }
  }

  /**
   * The answer goes out with the body unread. A client that waits for {@code 100 Continue} sends no body: the
   * connection closes after the answer. Any other client is sending the body already and reads the answer only once
   * it has: the rest is read and dropped for up to {@link #LINGER_MS}, then the connection closes (a web server's
   * lingering close), so that no client sees a reset instead of the answer and none holds the connection for long.
   */
  private static void leaveBodyUnread(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    if (request.isEnded() || request.version() == HttpVersion.HTTP_2) {
      return; // HTTP/2 ends just this stream
    }
    if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
      ctx.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
      ctx.addEndHandler(ar -> request.connection().close());
      return;
    }
    request.resume(); // with no data handler, the rest is dropped
    ctx.addEndHandler(ar -> ctx.vertx().setTimer(LINGER_MS, id -> {
      if (!request.isEnded()) {
        request.connection().close();
      }
    }));
  }
}
