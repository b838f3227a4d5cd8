package earshot.api;

import earshot.bus.JobEvent;
import earshot.jobs.RecordedEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One event-bus consumer per job-event address for all the subscribers that one HTTP verticle instance streams to:
 * an event is decoded once and its public view encoded once, however many subscribers follow the job, and a thousand
 * subscribers of one job cost one consumer registration (on a clustered bus, one entry in the cluster's subscription
 * map) instead of a thousand. The consumer goes when its last subscriber leaves.
 *
 * <p>Threading: confined to the event loop of the HTTP verticle instance that owns it.
 */
final class EventHub {
  /** A subscriber: gets each event with its view, encoded once for all ({@link EventSubscription#view}). */
  interface Listener {
    void arrived(JobEvent event, RecordedEvent recorded, EncodedEvent encoded);
  }

  private static final class Topic {
    final Set<Listener> listeners = new LinkedHashSet<>();
    MessageConsumer<JsonObject> consumer;
    Future<Void> ready;
  }

  private final Vertx vertx;
  private final Map<String, Topic> topics = new HashMap<>();

  EventHub(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Adds {@code listener} to {@code address}; completes once the bus delivers that address's events here. */
  Future<Void> join(String address, Listener listener) {
    Topic topic = topics.computeIfAbsent(address, a -> {
      Topic t = new Topic();
      t.consumer = vertx.eventBus().consumer(a, m -> fanOut(t, m.body()));
      t.ready = t.consumer.completion();
      return t;
    });
    topic.listeners.add(listener);
    return topic.ready;
  }

  /** Removes {@code listener}; the address's consumer is unregistered when nobody listens any more. */
  void leave(String address, Listener listener) {
    Topic topic = topics.get(address);
    if (topic != null && topic.listeners.remove(listener) && topic.listeners.isEmpty()) {
      topics.remove(address);
      topic.consumer.unregister();
    }
  }

  private static void fanOut(Topic topic, JsonObject body) {
    JobEvent event = JobEvent.fromJson(body);
    RecordedEvent recorded = event.recorded();
    EncodedEvent encoded = new EncodedEvent(recorded.seq(), EventSubscription.view(recorded).encode());
    for (Listener l : List.copyOf(topic.listeners)) {
      l.arrived(event, recorded, encoded);
    }
  }
}
