package earshot.store;

import earshot.testsupport.Databases;

class PostgresJobStoreTest extends JobStoreContract {
  @Override
  Databases.Kind kind() {
    return Databases.Kind.POSTGRES;
  }
}
