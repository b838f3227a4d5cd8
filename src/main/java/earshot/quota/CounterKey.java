package earshot.quota;

import java.util.Objects;

/** One counter: a kind for one owner. */
public record CounterKey(CounterKind kind, String owner) {
  public CounterKey {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(owner, "owner");
  }

  public String redisKey() {
    return kind.redisKey(owner);
  }
}
