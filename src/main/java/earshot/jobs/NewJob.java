package earshot.jobs;

import io.vertx.core.json.JsonObject;

/** A submission, after validation, as the store inserts it. */
public record NewJob(
    String ownerUserId,
    JobStage firstStage,
    String queue,
    int priority,
    int maxRetries,
    JsonObject payload,
    String idempotencyKey) {}
