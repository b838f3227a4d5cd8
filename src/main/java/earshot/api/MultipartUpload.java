package earshot.api;

import earshot.config.EarshotConfig;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.FileSystem;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerFileUpload;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.StreamResetException;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Reads an upload's multipart/form-data body in place of vertx-web's BodyHandler, which wrote every file part of a
 * body to disk and, refusing one of thousands of parts, failed in its own clean-up and left files behind for good.
 * Here the one part named {@code file} is streamed to a staging file with back-pressure and held to
 * {@code api.max_upload_bytes}; any other file part is refused (400 naming it) before a byte of it is written; the
 * form is held to {@code api.max_form_parts} parts and its fields to {@code api.max_form_field_bytes} (413). However
 * the request ends short of a {@link Form} (a refusal, a limit, a decoding error, the client gone), the staging file
 * is closed and deleted before the failure is reported (a client gone mid-body is seen as the request's
 * {@link HttpClosedException}); a staging file that the route did not move away is deleted when the response ends.
 *
 * <p>A request refused while its client is still sending is answered at once with {@code Connection: close}; up to
 * {@link #SWALLOW_BYTES} more of its body are read and dropped, so that a client that writes before it reads gets to
 * read the answer, and then (or {@link #LINGER} after the answer, at the latest) the connection is closed; on HTTP/2
 * the stream is reset instead.
 *
 * <p>Threading: the request's event loop; the file is a Vert.x {@link AsyncFile}, so nothing blocks. One instance per
 * request.
 */
final class MultipartUpload {
  /** How much of a refused body is still read (and dropped) before the connection is closed; Tomcat swallows 2 MiB. */
  static final long SWALLOW_BYTES = 2L << 20;
  /** Room for each part's delimiter and headers, which the server's decoder holds to 1 KiB by default. */
  static final long FRAMING_PER_PART = 2048;
  /** How long a refused client that has stopped sending keeps its connection after the answer. */
  static final Duration LINGER = Duration.ofSeconds(10);

  /** What an upload request sent: its form fields and its file part, staged on disk under {@code file}. */
  record Form(MultiMap fields, Path file, String fileName, long fileBytes) {}

  private final RoutingContext ctx;
  private final HttpServerRequest request;
  private final FileSystem fs;
  private final EarshotConfig.Api api;
  private final Path staged;
  private final Promise<Form> result = Promise.promise();
  private HttpServerFileUpload filePart;
  private boolean partEnded;
  private Future<AsyncFile> file;
  /** The staging file once it is open; until then the part's bytes gather in {@code early}. */
  private AsyncFile open;
  /** The staging file's end (its last writes, then its close) once the part has ended. */
  private Future<Void> ending;
  private Buffer early = Buffer.buffer();
  private Future<Void> fileWritten = Future.succeededFuture();
  private long bodyBytes;
  private long fileBytes;
  private boolean settled;
  private boolean ended;
  /** Set when a refusal was answered before the body ended: the rest is dropped up to this many body bytes. */
  private long swallowUntil = -1;
  private boolean answered;

  private MultipartUpload(RoutingContext ctx, EarshotConfig.Api api, Path staged) {
    this.ctx = ctx;
    this.request = ctx.request();
    this.fs = ctx.vertx().fileSystem();
    this.api = api;
    this.staged = staged;
  }

  /**
   * Reads the request's body, staging its file part at {@code staged} (which must not exist). The future fails with
   * an {@link ApiError} for a body that is refused; the route then answers it as usual.
   */
  static Future<Form> receive(RoutingContext ctx, EarshotConfig.Api api, Path staged) {
    return new MultipartUpload(ctx, api, staged).start();
  }

  /** The largest body an upload may have: the file, the fields, and the framing of every part. */
  static long bodyLimit(EarshotConfig.Api api) {
    long around = api.maxFormFieldBytes() + api.maxFormParts() * FRAMING_PER_PART;
    return api.maxUploadBytes() > Long.MAX_VALUE - around ? Long.MAX_VALUE : api.maxUploadBytes() + around;
  }

  /** The server's multipart decoder stops at the same limits, before it holds more parts or a longer field. */
  static HttpServerOptions withFormLimits(HttpServerOptions options, EarshotConfig.Api api) {
    return options.setMaxFormFields(api.maxFormParts()).setMaxFormAttributeSize(api.maxFormFieldBytes());
  }

  private Future<Form> start() {
    if (request.isEnded()) {
      return Future.failedFuture(new IllegalStateException("the upload's body was read before it could be streamed"));
    }
    // Not addEndHandler: a decoding error reaches the response's exception handler, which would run those early.
    ctx.addBodyEndHandler(v -> {
      answered = true;
      if (result.future().succeeded()) {
        fs.delete(staged.toString()).otherwiseEmpty(); // not moved into a job's workspace: not needed
      }
      if (swallowUntil >= 0) {
        ctx.vertx().setTimer(LINGER.toMillis(), t -> close());
        closeIfDrained();
      }
    });
    request.exceptionHandler(this::onRequestError).handler(this::onBody).endHandler(v -> onEnd());
    String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
      refuse(ApiError.invalid("file", "the body must be multipart/form-data with a part named file"));
    } else if (length != null && length.matches("\\d{1,18}") && Long.parseLong(length) > bodyLimit(api)) {
      refuse(tooLarge("the request body of " + length + " bytes is over the upload limit of "
          + bodyLimit(api) + " bytes", null));
    } else {
      try {
        request.setExpectMultipart(true).uploadHandler(this::onPart);
      } catch (RuntimeException e) { // a multipart/form-data type the decoder cannot use, such as a bad charset
        refuse(ApiError.invalid("body", "the multipart body cannot be read: " + e.getMessage()));
      }
      if (!settled && "100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))
          && request.version() != HttpVersion.HTTP_1_0) {
        ctx.response().writeContinue();
      }
    }
    request.resume();
    return result.future();
  }

  private void onBody(Buffer chunk) {
    bodyBytes += chunk.length();
    if (swallowUntil >= 0) {
      closeIfDrained();
    } else if (!settled && bodyBytes > bodyLimit(api)) {
      refuse(tooLarge("the request body is over the upload limit of " + bodyLimit(api) + " bytes", null));
    }
  }

  private void onPart(HttpServerFileUpload part) {
    if (settled) {
      drop(part);
    } else if (!"file".equals(part.name()) || filePart != null) {
      drop(part);
      refuse(ApiError.invalid(part.name(), "file".equals(part.name())
          ? "only one file part is allowed, and this is the second"
          : "is a file part; the one file part accepted is named file"));
    } else {
      stream(part);
    }
  }

  /**
   * Streams the file part to the staging file. Back-pressure pauses the request, never the part: the part then hands
   * over its bytes and its end as the decoder finds them, so that when the request ends, a part that has not ended
   * never will. Until the file is open, the rest of the current chunk is held in memory.
   */
  private void stream(HttpServerFileUpload part) {
    filePart = part;
    request.pause();
    Promise<Void> written = Promise.promise();
    fileWritten = written.future();
    written.future().onFailure(this::fail);
    part.exceptionHandler(this::onRequestError).handler(this::write).endHandler(v -> {
      partEnded = true;
      if (open != null && !settled) {
        ending = open.end().onComplete(written);
        request.resume(); // what follows the file part is not written to it: no need to hold it back
      }
    });
    file = fs.mkdirs(staged.getParent().toString())
        .compose(v -> fs.open(staged.toString(), new OpenOptions().setWrite(true).setCreateNew(true)));
    file.onFailure(this::fail).onSuccess(f -> {
      if (settled) {
        return; // clean-up closes and deletes it
      }
      open = f.exceptionHandler(this::fail);
      writeToFile(early);
      early = null;
      if (partEnded) {
        ending = f.end().onComplete(written);
        request.resume();
      } else if (!f.writeQueueFull()) {
        request.resume();
      }
    });
  }

  private void write(Buffer chunk) {
    if (settled) {
      return;
    }
    fileBytes += chunk.length();
    if (fileBytes > api.maxUploadBytes()) {
      refuse(tooLarge("file: the file part is over the upload limit of " + api.maxUploadBytes() + " bytes", "file"));
    } else if (open == null) {
      early.appendBuffer(chunk);
    } else {
      writeToFile(chunk);
    }
  }

  private void writeToFile(Buffer chunk) {
    open.write(chunk).onFailure(this::fail);
    if (open.writeQueueFull()) {
      request.pause();
      open.drainHandler(v -> request.resume());
    }
  }

  private void onEnd() {
    ended = true;
    if (swallowUntil >= 0) {
      closeIfDrained();
    } else if (filePart != null && !partEnded) {
      refuse(ApiError.invalid("file", "the body ends inside the file part"));
    } else {
      fileWritten.onSuccess(v -> {
        if (!settled) {
          finish();
        }
      });
    }
  }

  /** The whole body is in and the file written: the form's own limits, then the form. */
  private void finish() {
    MultiMap fields = request.formAttributes();
    int parts = fields.entries().size() + (filePart == null ? 0 : 1);
    if (parts > api.maxFormParts()) {
      refuse(tooManyParts());
      return;
    }
    long fieldBytes = 0;
    for (Map.Entry<String, String> field : fields.entries()) {
      fieldBytes += field.getKey().getBytes(StandardCharsets.UTF_8).length
          + field.getValue().getBytes(StandardCharsets.UTF_8).length;
      if (fieldBytes > api.maxFormFieldBytes()) {
        refuse(tooLarge(field.getKey() + ": the form fields are over their limit of " + api.maxFormFieldBytes()
            + " bytes together", field.getKey()));
        return;
      }
    }
    if (filePart == null) {
      refuse(ApiError.invalid("file", "a multipart part named file is required"));
      return;
    }
    settled = true;
    String name = filePart.filename();
    result.complete(new Form(fields, staged, name == null || name.isBlank() ? "upload" : name, fileBytes));
  }

  private void onRequestError(Throwable err) {
    switch (err) {
      // Nobody is left to read the answer; a 400 (not a logged 500) is what the request gets on its way out.
      case HttpClosedException e -> fail(ApiError.invalid("body", "the client left before the body was complete"));
      case StreamResetException e -> fail(ApiError.invalid("body", "the client left before the body was complete"));
      case HttpPostRequestDecoder.TooManyFormFieldsException e -> refuse(tooManyParts());
      case HttpPostRequestDecoder.TooLongFormFieldException e ->
          refuse(tooLarge("a part's headers are longer than the server reads", null));
      case HttpPostRequestDecoder.ErrorDataDecoderException e when e.getCause() instanceof IOException ->
          refuse(tooLarge("a form field is over the limit of " + api.maxFormFieldBytes() + " bytes", null));
      case HttpPostRequestDecoder.ErrorDataDecoderException e ->
          refuse(ApiError.invalid("body", "the multipart body cannot be read: " + e.getMessage()));
      default -> fail(err);
    }
  }

  /**
   * Refuses the request with {@code error}, once the staging file is gone. If the body is still arriving, the
   * answer closes the connection once the client has had the chance to read it.
   */
  private void refuse(ApiError error) {
    if (settled) {
      return;
    }
    if (!ended) {
      swallowUntil = bodyBytes + SWALLOW_BYTES;
      if (request.version() != HttpVersion.HTTP_2 && !ctx.response().headWritten()) {
        ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
      }
    }
    fail(error);
  }

  private void fail(Throwable err) {
    if (settled) {
      return;
    }
    settled = true;
    if (filePart != null) {
      drop(filePart);
    }
    request.resume();
    cleanUp().onComplete(v -> result.fail(err));
  }

  /** Closes the staging file (once it is open, if it is being opened) and deletes it. */
  private Future<Void> cleanUp() {
    if (file == null) {
      return Future.succeededFuture();
    }
    return file.transform(opened -> opened.failed() ? Future.<Void>succeededFuture()
            : ending != null ? ending : opened.result().close())
        // Deleted whatever became of the close; not when the open failed, which created nothing.
        .transform(closed -> file.succeeded() ? fs.delete(staged.toString()) : Future.<Void>succeededFuture())
        .otherwiseEmpty();
  }

  /** After a refusal that was answered: closes the connection once the body ended or the swallow allowance is used. */
  private void closeIfDrained() {
    boolean drained = ended || bodyBytes > swallowUntil || request.version() == HttpVersion.HTTP_2;
    if (swallowUntil >= 0 && answered && drained) {
      close();
    }
  }

  /** Ends the refused exchange: resets an HTTP/2 stream whose body is still coming, or closes the HTTP/1 connection. */
  private void close() {
    if (request.version() != HttpVersion.HTTP_2) {
      request.connection().close();
    } else if (!ended) {
      ctx.response().reset(0);
    }
  }

  /** Lets a part's bytes flow and fall away, so that it never holds the request paused. */
  private static void drop(HttpServerFileUpload part) {
    part.handler(null).endHandler(null).exceptionHandler(err -> { }).resume();
  }

  private ApiError tooManyParts() {
    return tooLarge("the form has more than " + api.maxFormParts() + " parts", null);
  }

  private static ApiError tooLarge(String detail, String field) {
    return new ApiError(413, ProblemTypes.PAYLOAD_TOO_LARGE, "Payload Too Large", detail, field);
  }
}
