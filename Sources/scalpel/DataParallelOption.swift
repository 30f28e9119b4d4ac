import ArgumentParser
import Codegen
import Distributed
import Runtime

/// `--data-parallel none|mpi`: the ranks a training run is split over.
enum DataParallelChoice: String, ExpressibleByArgument, CaseIterable {
  case none, mpi
}

/// The process's data-parallel world, joined once (`--data-parallel`); rank 0 alone reports.
enum World {
  /// The communicator joined, nil before `join` (a single process).
  nonisolated(unsafe) private(set) static var communicator: (any Communicator)?

  /// Whether this process prints notes and progress (rank 0, or not data-parallel).
  static var isLeader: Bool { (communicator?.rank ?? 0) == 0 }

  /// Joins the world `choice` names (MPI: the processes of this `mpirun`), once.
  static func join(_ choice: DataParallelChoice) throws -> any Communicator {
    if let communicator { return communicator }
    let joined: any Communicator
    switch choice {
    case .none: joined = SingleProcessCommunicator()
    case .mpi:
      do {
        joined = try MPICommunicator()
      } catch {
        throw CommandFailure("--data-parallel mpi: \(error.message)")
      }
    }
    communicator = joined
    return joined
  }

  /// Threads per rank when `--threads` is not given: the host's cores shared by its ranks.
  static var defaultThreads: Int {
    let local = (communicator as? MPICommunicator)?.localSize ?? 1
    return max(1, JITOptions.hostThreads / local)
  }

  /// Ends the world (MPI_Finalize) after the last collective call.
  static func leave() {
    if communicator is MPICommunicator { MPICommunicator.finalize() }
  }
}
