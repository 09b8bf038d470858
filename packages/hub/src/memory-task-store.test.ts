import { MemoryTaskStore } from './memory-task-store';
import { describeTaskStoreContract } from './test-support/task-store-contract';

describeTaskStoreContract('MemoryTaskStore', () => new MemoryTaskStore());
