package earshot.api;

import earshot.bus.JobEvent;
import earshot.jobs.RecordedEvent;
import earshot.metrics.EventMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * One subscriber's job events: a listener of a job-event address on the (clustered) event bus, through the
 * verticle's {@link EventHub}, so it gets every scheduler's events whichever node made the change. It listens first
 * and buffers what arrives while
 * the store is read for the events the subscriber has not seen ({@link #start}), so nothing falls between the read and
 * the bus. Each event is sent at most once: what the read gave is not sent again from the buffer, and on a one-job
 * stream an event whose seq is not above the last one sent is dropped, so the seqs a subscriber sees rise.
 *
 * <p>The subscription ends when the job ends (one-job streams), when the client goes away, or when the client reads
 * too slowly to keep up; either way the consumer and the keep-alive timer go and the gauge counts it out, once.
 *
 * <p>Threading: confined to the event loop of the HTTP verticle instance that opened it.
 */
final class EventSubscription {
  private final Vertx vertx;
  private final Predicate<JobEvent> wanted;
  private final boolean oneJob;
  private final EventHub hub;
  private final String address;
  private final List<Pending> buffered = new ArrayList<>();
  private final EventHub.Listener listener = this::arrived;
  private final Set<Long> replayed = new HashSet<>();
  private EventSink sink;
  private EventMetrics metrics;
  private long afterSeq;
  private long lastSent;
  private long timer = -1;
  private boolean live;
  private boolean closed;

  /** An event that arrived from the bus before the subscriber was started, with its encoded view. */
  private record Pending(RecordedEvent event, EncodedEvent encoded) {}

  private EventSubscription(Vertx vertx, EventHub hub, String address, Predicate<JobEvent> wanted, boolean oneJob) {
    this.vertx = vertx;
    this.hub = hub;
    this.address = address;
    this.wanted = wanted;
    this.oneJob = oneJob;
  }

  /**
   * Listens on {@code address} from now on, keeping the events {@code wanted} accepts until {@link #start}; a one-job
   * stream ({@code oneJob}) ends with the job's end event.
   */
  static Future<EventSubscription> listen(Vertx vertx, EventHub hub, String address, Predicate<JobEvent> wanted,
                                         boolean oneJob) {
    EventSubscription s = new EventSubscription(vertx, hub, address, wanted, oneJob);
    return hub.join(address, s.listener).map(v -> s);
  }

  /**
   * Sends {@code first} (what the store had after {@code after}), then what the bus brought meanwhile, then the live
   * events, to {@code sink}, with a keep-alive every {@code keepalive}.
   */
  void start(EventSink sink, List<RecordedEvent> first, long after, Duration keepalive, EventMetrics metrics) {
    this.sink = sink;
    this.metrics = metrics;
    this.afterSeq = after;
    this.lastSent = after;
    metrics.subscribed();
    sink.onGone(this::close);
    first.forEach(e -> replayed.add(e.seq()));
    first.forEach(e -> deliver(e, null, true));
    live = true;
    List.copyOf(buffered).forEach(p -> deliver(p.event(), p.encoded(), false));
    buffered.clear();
    if (!closed) {
      timer = vertx.setPeriodic(keepalive.toMillis(), id -> sink.keepalive());
    }
  }

  /** Stops listening without having streamed anything (the request was answered otherwise). */
  void cancel() {
    closed = true;
    hub.leave(address, listener);
  }

  private void arrived(JobEvent event, RecordedEvent recorded, EncodedEvent view) {
    if (closed || !wanted.test(event)) {
      return;
    }
    if (live) {
      deliver(recorded, view, false);
    } else {
      buffered.add(new Pending(recorded, view));
    }
  }

  /**
   * {@code fromStore}: read for this subscriber, so sent as it is; from the bus, only what it has not seen. {@code view}
   * is the event encoded when the hub made it already, else null.
   */
  private void deliver(RecordedEvent e, EncodedEvent view, boolean fromStore) {
    if (closed) {
      return;
    }
    if (!fromStore && e.seq() > 0 && (e.seq() <= afterSeq || replayed.contains(e.seq()))) {
      return; // the subscriber had it before connecting, or was just sent it from the store
    }
    if (oneJob && e.seq() > 0 && e.seq() <= lastSent) {
      return; // older than what this one-job stream already showed
    }
    if (sink.full()) {
      sink.end(); // a client this far behind resumes from its Last-Event-ID
      close();
      return;
    }
    lastSent = Math.max(lastSent, e.seq());
    sink.send(view != null ? view : new EncodedEvent(e.seq(), view(e).encode()));
    if (oneJob && RecordedEvent.END.equals(e.event())) {
      sink.end();
      close();
    }
  }

  /** The job as {@code GET /jobs/{id}} shows it, plus the event's kind and number. */
  static JsonObject view(RecordedEvent e) {
    return JobView.of(e.job()).put("event", e.event()).put("seq", e.seq());
  }

  private void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    hub.leave(address, listener);
    metrics.unsubscribed();
  }
}
