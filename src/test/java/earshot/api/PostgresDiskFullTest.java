package earshot.api;

import earshot.testsupport.Databases;
import earshot.testsupport.SmallDisk;
import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;

/** The Postgres store, on a server of its own whose data directory (WAL included) is on a 96 MiB tmpfs. */
class PostgresDiskFullTest extends StoreDiskFullContract {
  EmbeddedPostgres server;

  @Override
  JsonObject storeOn(Path mountPoint) throws Exception {
    disk = SmallDisk.mount(mountPoint, "96m");
    server = Databases.postgresOn(mountPoint.resolve("pg"));
    return new JsonObject().put("store", new JsonObject().put("url", Databases.postgresUrl(server)));
  }

  @Override
  void stopStore() throws Exception {
    if (server != null) {
      server.close();
    }
  }
}
