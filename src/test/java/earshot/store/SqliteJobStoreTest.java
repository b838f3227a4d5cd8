package earshot.store;

import earshot.testsupport.Databases;

class SqliteJobStoreTest extends JobStoreContract {
  @Override
  Databases.Kind kind() {
    return Databases.Kind.SQLITE;
  }
}
