package earshot.api;

import earshot.bus.Addresses;
import earshot.bus.ReadJobEvents;
import earshot.config.EarshotConfig;
import earshot.jobs.JobStatus;
import earshot.jobs.RecordedEvent;
import earshot.metrics.EventMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Live job events: {@code GET /jobs/{id}/events} as a WebSocket (an upgrade request) or as {@code text/event-stream},
 * and {@code GET /jobs/events}, the SSE stream of all the caller's jobs (an admin's: everyone's, or one owner's). Each
 * event is the job as {@code GET /jobs/{id}} shows it plus {@code event} ({@code state}, {@code progress}, {@code end})
 * and {@code seq}, which is the SSE {@code id}. A one-job stream starts with the job's current state (or, with
 * {@code Last-Event-ID}, with every event after it, read from the store's event log, so a client that reconnects to any
 * API node misses nothing) and closes after the end event; a client that resumes after the end gets 204, which tells
 * EventSource to stop reconnecting.
 *
 * <p>Threading: event loop; the log is read through the job readers on the bus, the events come from the bus.
 */
final class JobEventsApi {
  static final String LAST_EVENT_ID = "Last-Event-ID";
  /** The most events a reconnecting subscriber is replayed; past that it gets the newest ones live only. */
  static final int MAX_REPLAY = 10 * ReadJobEvents.MAX_LIMIT;

  private final Vertx vertx;
  private final EarshotConfig.Events config;
  private final SchedulerCalls calls;
  private final EventMetrics metrics;
  private final EventHub hub;

  JobEventsApi(Vertx vertx, EarshotConfig.Events config, SchedulerCalls calls, EventMetrics metrics) {
    this.vertx = vertx;
    this.hub = new EventHub(vertx);
    this.config = config;
    this.calls = calls;
    this.metrics = metrics;
  }

  /** Mounts the routes, relative to {@link JobsApi#BASE}; before JobsApi's, whose {@code /jobs/:id} would match. */
  void mount(Router router) {
    router.get("/jobs/events").handler(this::allJobs);
    router.get("/jobs/:id/events").handler(this::oneJob);
  }

  private void oneJob(RoutingContext ctx) {
    boolean upgrade = isWebSocket(ctx.request());
    Long after = upgrade ? null : lastEventId(ctx);
    long id = Routes.jobId(ctx);
    calls.visibleJob(ctx)
        .compose(job -> EventSubscription.listen(vertx, hub, Addresses.jobEvents(id), e -> true, true)
            .compose(sub -> firstEvents(job, after)
                .compose(first -> open(ctx, upgrade, sub, job, first, after))
                .onFailure(err -> sub.cancel())))
        .onFailure(err -> {
          if (!ctx.response().headWritten()) {
            ctx.fail(err);
          }
        });
  }

  /** What a one-job subscriber gets first: the events after {@code after}, or the job's current state. */
  private Future<List<RecordedEvent>> firstEvents(JsonObject job, Long after) {
    long id = job.getLong("id");
    if (after != null) {
      return replay(id, null, after);
    }
    return calls.request(Addresses.JOBS_HISTORY, ReadJobEvents.latest(id).toJson()).map(reply -> {
      List<RecordedEvent> latest = ReadJobEvents.events(reply);
      if (!latest.isEmpty()) {
        return latest;
      }
      // Not in the log (recorded before it existed, or pruned): the job as it is now, under no number.
      boolean ended = JobStatus.fromWire(job.getString("status")).isTerminal();
      return List.of(new RecordedEvent(0, id, job.getString("owner_user_id"),
          ended ? RecordedEvent.END : RecordedEvent.STATE, job));
    });
  }

  private Future<Void> open(RoutingContext ctx, boolean upgrade, EventSubscription sub, JsonObject job,
                            List<RecordedEvent> first, Long after) {
    Future<Boolean> over = after != null && first.isEmpty() && JobStatus.fromWire(job.getString("status")).isTerminal()
        ? sawTheEnd(job.getLong("id"), after) : Future.succeededFuture(false);
    return over.compose(done -> {
      if (done) {
        sub.cancel();
        return ctx.response().setStatusCode(204).end();
      }
      if (!upgrade) {
        sub.start(EventSink.sse(ctx.response()), first, after == null ? 0 : after, config.keepalive(), metrics);
        return Future.succeededFuture();
      }
      return ctx.request().toWebSocket().map(ws -> {
        sub.start(EventSink.webSocket(ws), first, 0, config.keepalive(), metrics);
        return null;
      });
    });
  }

  /** True when the job's newest recorded event is its end and the client had it ({@code after} is not below it). */
  private Future<Boolean> sawTheEnd(long id, long after) {
    return calls.request(Addresses.JOBS_HISTORY, ReadJobEvents.latest(id).toJson())
        .map(reply -> ReadJobEvents.events(reply).stream()
            .anyMatch(e -> RecordedEvent.END.equals(e.event()) && e.seq() <= after));
  }

  private void allJobs(RoutingContext ctx) {
    Principal who = Principal.of(ctx);
    String asked = ctx.request().getParam("owner_user_id");
    if (asked != null && !who.admin() && !asked.equals(who.ownerUserId())) {
      throw ApiError.forbidden("admin role required to follow another owner's jobs");
    }
    String owner = who.admin() ? asked : who.ownerUserId();
    Long after = lastEventId(ctx);
    EventSubscription.listen(vertx, hub, Addresses.JOB_EVENTS, e -> owner == null || owner.equals(e.ownerUserId()), false)
        .compose(sub -> (after == null ? Future.succeededFuture(List.<RecordedEvent>of()) : replay(null, owner, after))
            .onSuccess(first -> sub.start(EventSink.sse(ctx.response()), first, after == null ? 0 : after,
                config.keepalive(), metrics))
            .onFailure(err -> sub.cancel()))
        .onFailure(err -> {
          if (!ctx.response().headWritten()) {
            ctx.fail(err);
          }
        });
  }

  /** The recorded events after {@code after} of a job or an owner (or everyone), page by page, up to MAX_REPLAY. */
  private Future<List<RecordedEvent>> replay(Long jobId, String owner, long after) {
    return page(jobId, owner, after, new ArrayList<>());
  }

  private Future<List<RecordedEvent>> page(Long jobId, String owner, long after, List<RecordedEvent> into) {
    int limit = ReadJobEvents.MAX_LIMIT;
    return calls.request(Addresses.JOBS_HISTORY, new ReadJobEvents(jobId, owner, after, limit).toJson())
        .compose(reply -> {
          List<RecordedEvent> events = ReadJobEvents.events(reply);
          into.addAll(events);
          if (events.size() < limit || into.size() >= MAX_REPLAY) {
            return Future.succeededFuture(into);
          }
          return page(jobId, owner, events.getLast().seq(), into);
        });
  }

  /** {@code Last-Event-ID} (what EventSource sends when it reconnects), or {@code last_event_id} in the query. */
  private static Long lastEventId(RoutingContext ctx) {
    String raw = ctx.request().getHeader(LAST_EVENT_ID);
    if (raw == null) {
      raw = ctx.request().getParam("last_event_id");
    }
    if (raw == null || raw.isBlank()) {
      return null;
    }
    try {
      long seq = Long.parseLong(raw.trim());
      if (seq >= 0) {
        return seq;
      }
    } catch (NumberFormatException ignored) {
      // falls through to the validation error
    }
    throw ApiError.invalid(LAST_EVENT_ID, "must be the id of an event this stream sent");
  }

  private static boolean isWebSocket(HttpServerRequest request) {
    String upgrade = request.getHeader(HttpHeaders.UPGRADE);
    return upgrade != null && upgrade.equalsIgnoreCase("websocket");
  }
}
